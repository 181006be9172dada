"""What the worker reads from and writes to the database for one recording's validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from contract.geo import Polygon
from contract.manifest import Manifest
from contract.policy import Policy
from contract.report import ValidationReport
from media_pipeline.context import CheckContext, DeclarationFacts, IntakeFacts

RECORDING = """
SELECT r.id, r.phase, r.state, r.manifest, r.integrity, r.object_key, r.size, r.mime,
       r.inspection_id, i.declaration_id, d.post_code, d.number, d.vehicle_plate,
       p.kind AS post_kind, p.geofence,
       -- the policy version the inspection was created under, else the one in force
       coalesce((SELECT v.policy FROM policy_versions v
                 WHERE v.post_code = i.post_code AND v.version = i.policy_version), p.policy) AS policy,
       (SELECT coalesce(sum(places), 0) FROM declaration_lines l WHERE l.declaration_id = d.id)
         AS places,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'container'), '{}') AS containers,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'wagon'), '{}') AS wagons
FROM recordings r
JOIN inspections i ON i.id = r.inspection_id
JOIN declarations d ON d.id = i.declaration_id
JOIN posts p ON p.code = d.post_code
WHERE r.id = $1
"""


async def load_recording(conn: asyncpg.Connection, recording_id: str) -> Any:
    return await conn.fetchrow(RECORDING, recording_id)


def build_context(row: Any) -> CheckContext:
    """The checks' inputs, from the recording's row, its declaration and the post's policy."""
    integrity = row["integrity"] or {}
    phase = row["phase"]
    # The stored manifest passed this same Struct at intake; only counting taps reach checks.
    manifest = msgspec.convert(row["manifest"], Manifest)
    manifest = msgspec.structs.replace(manifest, markers=manifest.taps())
    # The device clock is judged against the server's first contact with this recording.
    first_contact = manifest.recorded_to + timedelta(seconds=float(integrity.get("clock_skew_s", 0)))
    geofence = row["geofence"]
    policy = msgspec.convert(row["policy"], Policy)
    return CheckContext(
        phase=phase,
        manifest=manifest,
        intake=IntakeFacts(
            hash_ok=bool(integrity.get("hash_ok")), chain_ok=bool(integrity.get("chain_ok")),
            signature_ok=bool(integrity.get("signature_ok")),
            device_approved=bool(integrity.get("device_approved")),
            server_received_at=first_contact,
        ),
        policy=policy.phase_rules(phase, msgspec.convert(geofence, Polygon) if geofence else None),
        declaration=DeclarationFacts(
            places=int(row["places"]), containers=tuple(row["containers"]),
            vehicle_plate=row["vehicle_plate"], post_kind=row["post_kind"],
            wagons=tuple(row["wagons"]),
        ),
        post_code=row["post_code"],
    )


MARK_VALIDATING = """
UPDATE recordings SET state = 'validating' WHERE id = $1 AND state IN ('received', 'validating')
"""


async def mark_validating(conn: asyncpg.Connection, recording_id: str) -> None:
    await conn.execute(MARK_VALIDATING, recording_id)


INSERT_REPORT = """
INSERT INTO validation_report_versions (recording_id, version, verdict, report, reason,
                                        requested_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (recording_id, version) DO NOTHING
RETURNING recording_id
"""

SET_STATE = "UPDATE recordings SET state = $2 WHERE id = $1"


async def store_report(
    conn: asyncpg.Connection, recording_id: str, report: ValidationReport, version: int = 1,
    reason: str | None = None, requested_by: str | None = None,
) -> bool:
    """Insert this version of the report once; True if this call stored it (a re-run of the
    same job keeps the first). Earlier versions are never touched."""
    stored = await conn.fetchval(
        INSERT_REPORT, recording_id, version, report.verdict, msgspec.to_builtins(report), reason,
        requested_by,
    )
    if stored is None:
        return False
    await conn.execute(SET_STATE, recording_id, "failed" if report.verdict == "fail" else "validated")
    return True


HAS_REPORT = "SELECT 1 FROM validation_report_versions WHERE recording_id = $1 AND version = $2"


async def has_report(conn: asyncpg.Connection, recording_id: str, version: int = 1) -> bool:
    return bool(await conn.fetchval(HAS_REPORT, recording_id, version))


INSERT_RENDITION = """
INSERT INTO renditions (recording_id, kind, object_key, content_type, size, sha256)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (recording_id, kind) DO NOTHING
"""


async def store_rendition(
    conn: asyncpg.Connection, recording_id: str, kind: str, key: str, content_type: str,
    size: int, sha256: str,
) -> None:
    await conn.execute(INSERT_RENDITION, recording_id, kind, key, content_type, size, sha256)
