"""The inputs to checks.

`CheckContext` is what the backend knows from its database (manifest, intake facts, policy,
declaration): plain msgspec Structs it builds from rows or decodes from the job payload.
`MediaSignals` is what the pipeline measured in the file. Checks are pure functions of both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

import msgspec
import numpy as np

from media_pipeline.argv import FramePlan
from media_pipeline.frames import FrameStats
from media_pipeline.packets import Packets
from media_pipeline.probe import ProbeInfo

Phase = Literal["exterior", "unloading", "recount", "opening"]
MarkerKind = Literal["place", "undo", "item"]
OCCUPANCY_LABELS = ("empty", "partial", "loaded")


class TrackPoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    t: float  # seconds from the start of the recording
    lat: float
    lon: float
    acc: float  # metres, as the Geolocation API reports it


class Marker(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    t: float
    kind: MarkerKind


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sha256: str
    size: int
    recorded_from: datetime
    recorded_to: datetime
    track: tuple[TrackPoint, ...] = ()
    markers: tuple[Marker, ...] = ()


class IntakeFacts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Established by the backend when the recording was registered."""

    hash_ok: bool
    chain_ok: bool
    signature_ok: bool
    device_approved: bool
    server_received_at: datetime


class Polygon(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """GeoJSON Polygon: rings of [lon, lat]; the first ring is the outer boundary."""

    coordinates: tuple[tuple[tuple[float, float], ...], ...]
    type: Literal["Polygon"] = "Polygon"


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    min_seconds: float  # for this phase, fixed part
    min_seconds_per_place: float
    gps_tolerance_m: float
    geofence: Polygon | None
    clock_skew_s: float
    count_tolerance: int
    max_speed_mps: float
    # pipeline tunables; the post policy may set them, the defaults suit a handheld tablet
    max_gap_s: float = 2.0
    frozen_s: float = 10.0
    black_s: float = 5.0
    track_gap_s: float = 30.0
    track_edge_s: float = 15.0


class DeclarationFacts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    places: int
    containers: tuple[str, ...] = ()
    vehicle_plate: str | None = None
    post_kind: Literal["road", "rail"] = "road"


class CheckContext(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    phase: Phase
    manifest: Manifest
    intake: IntakeFacts
    policy: Policy
    declaration: DeclarationFacts


class MediaSignals(msgspec.Struct, frozen=True):
    """What was measured in the file; vision outputs are aligned with `frames`."""

    probe: ProbeInfo
    duration: float
    file_size: int
    packets: Packets
    plan: FramePlan
    frames: tuple[FrameStats, ...]
    occupancy: np.ndarray | None = None  # [N, 3] probabilities in OCCUPANCY_LABELS order
    counts: np.ndarray | None = None  # [N] cargo places visible
    texts: tuple[tuple[float, str], ...] = ()  # OCR lines with their video time

    def sample_interval(self) -> float:
        if len(self.frames) < 2:
            return self.duration
        return float(np.median(np.diff([f.t for f in self.frames])))


class OccupancyModel(Protocol):
    def predict(self, frames: np.ndarray) -> np.ndarray: ...


class CargoCounterModel(Protocol):
    def count(self, frames: np.ndarray) -> np.ndarray: ...


class TextReader(Protocol):
    def read(self, rgb: np.ndarray) -> list[str]: ...


class Models(msgspec.Struct):
    """The inference back-ends `validate` may use; any may be absent (the check then warns)."""

    occupancy: OccupancyModel | None = None
    counter: CargoCounterModel | None = None
    ocr: TextReader | None = None
    # role ("occupancy", "counter", "ocr") -> (name, sha256) of the model files behind it
    refs: dict[str, tuple[tuple[str, str], ...]] = msgspec.field(default_factory=dict)
