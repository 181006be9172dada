"""Inspections: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg

INSERT_INSPECTION = """
INSERT INTO inspections (declaration_id, post_code, inspector_id, status, reasons, ordered_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (declaration_id) DO NOTHING
RETURNING id
"""


async def insert(
    conn: asyncpg.Connection, declaration_id: str, post_code: str, inspector_id: str | None,
    reasons: list[str], ordered_by: str | None,
) -> str | None:
    status = "assigned" if inspector_id else "unassigned"
    return await conn.fetchval(
        INSERT_INSPECTION, declaration_id, post_code, inspector_id, status, reasons, ordered_by
    )


INSERT_ASSIGNMENT = """
INSERT INTO inspection_assignments (inspection_id, inspector_id, assigned_by, reason)
VALUES ($1, $2, $3, $4)
"""


async def record_assignment(
    conn: asyncpg.Connection, inspection_id: str, inspector_id: str, by: str | None, reason: str
) -> None:
    await conn.execute(INSERT_ASSIGNMENT, inspection_id, inspector_id, by, reason)


COLUMNS = """i.id, i.declaration_id, i.post_code, i.inspector_id, i.status, i.reasons, i.ordered_by,
i.started_at, i.finished_at, i.places_counted, i.items_counted, i.discrepancy_note, i.created_at"""

INSPECTION_BY_ID = f"""
SELECT {COLUMNS}, u.name AS inspector_name
FROM inspections i LEFT JOIN users u ON u.id = i.inspector_id WHERE i.id = $1
"""


async def by_id(conn: asyncpg.Connection, inspection_id: str, *, for_update: bool = False) -> Any:
    sql = INSPECTION_BY_ID + (" FOR UPDATE OF i" if for_update else "")
    return await conn.fetchrow(sql, inspection_id)


INSPECTION_BY_DECLARATION = f"SELECT {COLUMNS} FROM inspections i WHERE i.declaration_id = $1"


async def by_declaration(conn: asyncpg.Connection, declaration_id: str) -> Any:
    return await conn.fetchrow(INSPECTION_BY_DECLARATION, declaration_id)


LIST_INSPECTIONS = f"""
SELECT {COLUMNS}, d.number, d.corridor, d.procedure, u.name AS inspector_name
FROM inspections i JOIN declarations d ON d.id = i.declaration_id
LEFT JOIN users u ON u.id = i.inspector_id
WHERE ($1::text IS NULL OR i.post_code = $1)
  AND ($2::text IS NULL OR i.inspector_id = $2)
  AND ($3::text IS NULL OR i.status = $3)
ORDER BY i.created_at DESC
LIMIT $4
"""


async def list_inspections(
    conn: asyncpg.Connection, post_code: str | None, inspector_id: str | None, status: str | None,
    limit: int = 200,
) -> list[Any]:
    return list(await conn.fetch(LIST_INSPECTIONS, post_code, inspector_id, status, limit))


ASSIGNED_INSPECTORS = """
SELECT DISTINCT inspector_id FROM inspection_assignments WHERE inspection_id = $1
"""


async def assigned_inspectors(conn: asyncpg.Connection, inspection_id: str) -> list[str]:
    return [r["inspector_id"] for r in await conn.fetch(ASSIGNED_INSPECTORS, inspection_id)]


# The latest version of each phase's recording, with its validation verdict if any.
LATEST_RECORDINGS = """
SELECT DISTINCT ON (r.phase) r.id, r.phase, r.version, r.state, r.manifest, r.created_at,
       v.verdict, v.report
FROM recordings r LEFT JOIN validation_reports v ON v.recording_id = r.id
WHERE r.inspection_id = $1
ORDER BY r.phase, r.version DESC
"""


async def latest_recordings(conn: asyncpg.Connection, inspection_id: str) -> list[Any]:
    return list(await conn.fetch(LATEST_RECORDINGS, inspection_id))


ALL_RECORDINGS = """
SELECT r.id, r.phase, r.version, r.state, r.sha256, r.size, r.created_at, v.verdict
FROM recordings r LEFT JOIN validation_reports v ON v.recording_id = r.id
WHERE r.inspection_id = $1
ORDER BY r.phase, r.version
"""


async def all_recordings(conn: asyncpg.Connection, inspection_id: str) -> list[Any]:
    return list(await conn.fetch(ALL_RECORDINGS, inspection_id))


LOCK_DECLARATION_REASONS = (
    "SELECT status, inspection_reasons, corridor FROM declarations WHERE id = $1 FOR UPDATE"
)


async def lock_declaration_reasons(conn: asyncpg.Connection, declaration_id: str) -> Any:
    return await conn.fetchrow(LOCK_DECLARATION_REASONS, declaration_id)


MARK_REQUIRED = """
UPDATE declarations
SET inspection_required = true,
    inspection_reasons = CASE WHEN $2 = ANY(inspection_reasons) THEN inspection_reasons
                              ELSE array_append(inspection_reasons, $2) END,
    corridor = CASE WHEN $3 THEN 'red' ELSE corridor END,
    status = CASE WHEN status = 'registered' THEN 'inspection' ELSE status END,
    updated_at = now()
WHERE id = $1
RETURNING post_code, status, number, corridor
"""


async def mark_required(
    conn: asyncpg.Connection, declaration_id: str, reason: str, red: bool
) -> Any:
    return await conn.fetchrow(MARK_REQUIRED, declaration_id, reason, red)


ADD_REASON = "UPDATE inspections SET reasons = array_append(reasons, $2) WHERE id = $1"


async def add_reason(conn: asyncpg.Connection, inspection_id: Any, reason: str) -> None:
    await conn.execute(ADD_REASON, inspection_id, reason)


START = "UPDATE inspections SET status = 'in_progress', started_at = now() WHERE id = $1"


async def start(conn: asyncpg.Connection, inspection_id: str) -> None:
    await conn.execute(START, inspection_id)


SET_COUNTS = """
UPDATE inspections SET places_counted = $2, items_counted = $3, discrepancy_note = $4 WHERE id = $1
"""


async def set_counts(
    conn: asyncpg.Connection, inspection_id: str, places: int, items: int | None, note: str | None
) -> None:
    await conn.execute(SET_COUNTS, inspection_id, places, items, note)


FINISH = "UPDATE inspections SET status = 'finished', finished_at = now() WHERE id = $1"


async def finish(conn: asyncpg.Connection, inspection_id: str) -> None:
    await conn.execute(FINISH, inspection_id)


REASSIGN = """
UPDATE inspections SET inspector_id = $2, status = 'assigned', started_at = NULL WHERE id = $1
"""


async def reassign(conn: asyncpg.Connection, inspection_id: str, inspector_id: str) -> None:
    await conn.execute(REASSIGN, inspection_id, inspector_id)
