"""Attestations of advisory checks: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg

from backend.attestations.schemas import AttestationOut, Person

# The recording, its inspection and declaration, and its latest report version; the row lock
# makes two heads answering at once queue behind each other (the second gets 409).
RECORDING_FOR_CHECK = """
SELECT r.id, r.phase, r.inspection_id, i.post_code, i.inspector_id, i.declaration_id,
       d.number, v.version AS report_version, v.report
FROM recordings r
JOIN inspections i ON i.id = r.inspection_id
JOIN declarations d ON d.id = i.declaration_id
LEFT JOIN validation_reports v ON v.recording_id = r.id
WHERE r.id = $1
"""


async def recording_for_check(conn: asyncpg.Connection, recording_id: str, lock: bool = False) -> Any:
    if lock:
        await conn.execute("SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE", recording_id)
    return await conn.fetchrow(RECORDING_FOR_CHECK, recording_id)


ATTESTATION = """
SELECT a.id, a.recording_id, a.report_version, a.check_name, a.decision, a.reason, a.created_at,
       u.id AS actor_id, u.name AS actor_name
FROM check_attestations a JOIN users u ON u.id = a.actor_id
WHERE a.recording_id = $1 AND a.report_version = $2 AND a.check_name = $3
"""


def _out(r: Any) -> AttestationOut:
    return AttestationOut(
        id=r["id"], recording_id=r["recording_id"], report_version=r["report_version"],
        check=r["check_name"], decision=r["decision"], reason=r["reason"],
        actor=Person(id=r["actor_id"], name=r["actor_name"]), created_at=r["created_at"],
    )  # fmt: skip


async def attestation(
    conn: asyncpg.Connection, recording_id: str, version: int, check: str
) -> AttestationOut | None:
    row = await conn.fetchrow(ATTESTATION, recording_id, version, check)
    return _out(row) if row else None


INSERT_ATTESTATION = """
INSERT INTO check_attestations (recording_id, report_version, check_name, decision, reason, actor_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (recording_id, report_version, check_name) DO NOTHING
RETURNING id
"""


async def insert(
    conn: asyncpg.Connection, recording_id: str, version: int, check: str, decision: str,
    reason: str | None, actor_id: str,
) -> str | None:
    """The new attestation's id, or None when this check of this version is already answered."""
    return await conn.fetchval(
        INSERT_ATTESTATION, recording_id, version, check, decision, reason, actor_id
    )
