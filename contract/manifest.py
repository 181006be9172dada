"""The recording manifest as the tablet signs it (DESIGN.md): intake validates it, the worker
reads the same Struct from the stored row."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Hex64 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400)]
MarkerKind = Literal["place", "undo", "item", "interrupted"]
# Markers the tablet records as counting taps; `interrupted` marks a pause, not a tap.
TAP_MARKERS: tuple[MarkerKind, ...] = ("place", "undo", "item")


class Chunk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    i: Annotated[int, msgspec.Meta(ge=0)]
    size: Annotated[int, msgspec.Meta(gt=0)]
    sha256: Hex64


class TrackPoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    t: Seconds  # seconds from the start of the recording
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    acc: Annotated[float, msgspec.Meta(ge=0)]  # metres, as the Geolocation API reports it
    # Only on a point that repeats an earlier fix (no newer fix came: a tablet standing still):
    # when that fix was taken, seconds from the start of the recording (negative: before it).
    fix_t: Annotated[float, msgspec.Meta(ge=-86_400, le=86_400)] | None = None


class Marker(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    t: Seconds
    kind: MarkerKind


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    mime: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    size: Annotated[int, msgspec.Meta(gt=0)]
    sha256: Hex64
    recorded_from: Annotated[datetime, msgspec.Meta(tz=True)]
    recorded_to: Annotated[datetime, msgspec.Meta(tz=True)]
    chunks: Annotated[tuple[Chunk, ...], msgspec.Meta(min_length=1, max_length=200_000)]
    chain_head: Hex64
    track: Annotated[tuple[TrackPoint, ...], msgspec.Meta(max_length=200_000)] = ()
    markers: Annotated[tuple[Marker, ...], msgspec.Meta(max_length=100_000)] = ()

    def taps(self) -> tuple[Marker, ...]:
        return tuple(m for m in self.markers if m.kind in TAP_MARKERS)
