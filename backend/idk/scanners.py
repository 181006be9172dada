"""Per-scanner calibration of the IDK X-ray scanners: what the mass estimate needs to turn
attenuation into kilograms, and whether the post accepts display exports.

A scanner is *calibrated* when all four figures are set: pixel pitch along the vehicle (x)
and across it (y) in mm per pixel, and the detector's air and dark levels in raw units. Until
then the model reads the image with the generator's assumptions (square pixels, the scan's
width spanning the manifest's `scan_length_m`, air from the image's own bright percentile) and
its mass figure is advisory. Admin sets (audited, each change a new version); the post's head
reads their own post's scanners.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import can
from backend.errors import Forbidden, InvalidCalibration, InvalidRequest, NotFound
from backend.idk import repo, scanner_repo
from backend.idk.jobs import enqueue_assessment

Positive = Annotated[float, msgspec.Meta(gt=0, le=1_000_000)]
Level = Annotated[float, msgspec.Meta(ge=0, le=1e9)]


class ScannerIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    post_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    pitch_x_mm: Positive | None = None
    pitch_y_mm: Positive | None = None
    air_level: Level | None = None
    dark_level: Level | None = None
    raw_export_required: bool = False
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ScannerOut(msgspec.Struct, frozen=True):
    scanner_id: str
    post_code: str
    pitch_x_mm: float | None
    pitch_y_mm: float | None
    air_level: float | None
    dark_level: float | None
    raw_export_required: bool
    calibrated: bool
    version: int
    set_by: str
    set_by_name: str | None
    set_at: datetime
    reason: str


class ScannerWithHistory(msgspec.Struct, frozen=True):
    scanner: ScannerOut
    history: list[ScannerOut]  # every version, oldest first (the current one last)


class Calibration(msgspec.Struct, frozen=True):
    """What the worker passes to the model for one scan."""

    scanner_id: str
    version: int
    pitch_x_mm: float | None
    pitch_y_mm: float | None
    air_level: float | None
    dark_level: float | None
    raw_export_required: bool

    @property
    def calibrated(self) -> bool:
        return None not in (self.pitch_x_mm, self.pitch_y_mm, self.air_level, self.dark_level)


def _out(row: Any) -> ScannerOut:
    figures = (row["pitch_x_mm"], row["pitch_y_mm"], row["air_level"], row["dark_level"])
    return ScannerOut(
        scanner_id=row["scanner_id"], post_code=row["post_code"], pitch_x_mm=row["pitch_x_mm"],
        pitch_y_mm=row["pitch_y_mm"], air_level=row["air_level"], dark_level=row["dark_level"],
        raw_export_required=row["raw_export_required"], calibrated=None not in figures,
        version=row["version"], set_by=row["set_by"], set_by_name=row["set_by_name"],
        set_at=row["set_at"], reason=row["reason"],
    )


def calibration_of(row: Any) -> Calibration | None:
    if row is None:
        return None
    return Calibration(row["scanner_id"], row["version"], row["pitch_x_mm"], row["pitch_y_mm"],
                       row["air_level"], row["dark_level"], row["raw_export_required"])


async def calibration_for_scan(conn: asyncpg.Connection, scanner_id: str,
                               post_code: str) -> Calibration | None:
    return calibration_of(await scanner_repo.for_scan(conn, scanner_id, post_code))


def _check_id(scanner_id: str) -> None:
    if not 0 < len(scanner_id) <= 200 or scanner_id != scanner_id.strip():
        raise InvalidRequest("a scanner id is 1..200 characters without surrounding spaces",
                             field="scanner")


async def get_scanner(conn: asyncpg.Connection, actor: Actor, scanner_id: str) -> ScannerWithHistory:
    _check_id(scanner_id)
    row = await scanner_repo.scanner(conn, scanner_id)
    # a post head reads only their own post's scanners; another post's is not there for them
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"scanner {scanner_id} is not registered")
    history = [_out(v) for v in await scanner_repo.versions(conn, scanner_id)]
    return ScannerWithHistory(_out(row), history)


async def put_scanner(conn: asyncpg.Connection, actor: Actor, scanner_id: str,
                      data: ScannerIn) -> ScannerWithHistory:
    """Admin only: set the calibration (a new version, audited)."""
    if not can(actor, "idk.scanner.set"):
        raise Forbidden("only an administrator calibrates a scanner")
    _check_id(scanner_id)
    if (data.air_level is None) != (data.dark_level is None):
        raise InvalidCalibration("air and dark levels are set together", field="dark_level")
    if data.air_level is not None and data.dark_level is not None \
            and data.air_level <= data.dark_level:
        raise InvalidCalibration("the air level must be above the dark level", field="air_level")
    if (data.pitch_x_mm is None) != (data.pitch_y_mm is None):
        raise InvalidCalibration("pixel pitch is set both ways", field="pitch_y_mm")
    async with conn.transaction():
        if not await repo.post_exists(conn, data.post_code):
            raise InvalidCalibration(f"unknown post {data.post_code}", field="post_code")
        before = await scanner_repo.lock_scanner(conn, scanner_id)
        figures = (data.pitch_x_mm, data.pitch_y_mm, data.air_level, data.dark_level)
        version = await scanner_repo.put_scanner(conn, scanner_id, data.post_code, figures,
                                                 data.raw_export_required, actor.id, data.reason)
        await audit.append(
            conn, actor_id=actor.id, action="idk_scanner.calibrated", object_type="idk_scanner",
            object_id=scanner_id,
            payload={**msgspec.to_builtins(data), "version": version,
                     "previous_post_code": before["post_code"] if before else None},
        )
        # scans still awaiting a verdict are read again with the new figures
        for scan_id in await scanner_repo.pending_scans(conn, scanner_id, data.post_code):
            await enqueue_assessment(conn, scan_id, "recalibrated")
    return await get_scanner(conn, actor, scanner_id)
