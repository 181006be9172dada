"""The portal read a reader sends and the reads a scan shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Ident = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PortalReadIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One number one reader saw: `wagon_number` or `container_number`, not both."""

    scanner: Ident  # the X-ray scanner whose portal the reader stands at
    reader_id: Ident
    read_at: datetime
    source: Literal["rfid", "camera"]
    wagon_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    container_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    post_code: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # an admin names it


class PortalReadOut(msgspec.Struct, frozen=True):
    id: str
    post_code: str
    scanner: str
    reader_id: str
    read_at: datetime
    source: str
    kind: str  # wagon | container
    number: str
    number_valid: bool  # the check digit (wagon) or ISO 6346 (container) holds
    confidence: float | None
    scan_id: str | None  # the scan it bound to, if any
    created_at: datetime


class ScanNumbers(msgspec.Struct, frozen=True):
    """Where each number of a scan came from, and whether the sources agree."""

    scan_id: str
    wagon_number: str
    wagon_number_source: str  # scanner | rfid | camera
    container_numbers: list[str]
    reads: list[PortalReadOut]
    disagreement: bool
