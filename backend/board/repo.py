"""The board: SQL only. A few set-based queries per board, whatever the number of inspections."""

from __future__ import annotations

from typing import Any

import asyncpg

# Live: not finished, or finished while the declaration still waits for a decision.
BOARD_INSPECTIONS = """
SELECT i.id, i.declaration_id, i.status, i.reasons, i.started_at, i.finished_at, i.created_at,
       i.places_counted, i.items_counted, i.discrepancy_note, i.inspector_id,
       u.name AS inspector_name, d.number, d.procedure, d.corridor, d.status AS declaration_status,
       d.vehicle_plate,
       (SELECT coalesce(sum(l.places), 0) FROM declaration_lines l
        WHERE l.declaration_id = d.id) AS places_declared,
       -- the policy version the inspection was created under (as the gate reads it), else the
       -- one in force; `policy_key` names it so the service converts each version once
       coalesce(v.version, p.policy_version) AS policy_key, coalesce(v.policy, p.policy) AS policy
FROM inspections i
JOIN declarations d ON d.id = i.declaration_id
JOIN posts p ON p.code = i.post_code
LEFT JOIN policy_versions v ON v.post_code = i.post_code AND v.version = i.policy_version
LEFT JOIN users u ON u.id = i.inspector_id
WHERE i.post_code = $1
  AND (i.status <> 'finished' OR d.status NOT IN ('released', 'refused'))
ORDER BY i.started_at NULLS LAST, i.created_at, i.id
LIMIT $2
"""


async def inspections(conn: asyncpg.Connection, post_code: str, limit: int) -> list[Any]:
    return list(await conn.fetch(BOARD_INSPECTIONS, post_code, limit))


LATEST_RECORDINGS = """
SELECT DISTINCT ON (r.inspection_id, r.phase)
       r.inspection_id, r.id, r.phase, r.version, r.state, v.verdict,
       extract(epoch FROM (r.manifest->>'recorded_to')::timestamptz
                         - (r.manifest->>'recorded_from')::timestamptz)::float8 AS recorded_s,
       coalesce(v.report->'checks', '[]'::jsonb) AS checks
FROM recordings r LEFT JOIN validation_reports v ON v.recording_id = r.id
WHERE r.inspection_id = ANY($1::text[])
ORDER BY r.inspection_id, r.phase, r.version DESC
"""


async def latest_recordings(conn: asyncpg.Connection, inspection_ids: list[str]) -> list[Any]:
    return list(await conn.fetch(LATEST_RECORDINGS, inspection_ids))


OPEN_UPLOADS = """
SELECT u.id, u.inspection_id, u.phase, u.length, u.created_at, u.expires_at,
       p.committed, p.since
FROM uploads u LEFT JOIN upload_progress p ON p.upload_id = u.id
WHERE u.inspection_id = ANY($1::text[]) AND u.state = 'open'
ORDER BY u.created_at
"""


async def open_uploads(conn: asyncpg.Connection, inspection_ids: list[str]) -> list[Any]:
    return list(await conn.fetch(OPEN_UPLOADS, inspection_ids))


# Evidence announced by a tablet (its chain) whose bytes have not arrived yet.
EXPECTED = """
SELECT a.inspection_id, a.client_id, a.phase, a.deadline_at, a.deadline_at <= now() AS overdue
FROM chain_announcements a
WHERE a.inspection_id = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.client_id = a.client_id)
ORDER BY a.deadline_at
"""


async def expected(conn: asyncpg.Connection, inspection_ids: list[str]) -> list[Any]:
    return list(await conn.fetch(EXPECTED, inspection_ids))


AWAITING = """
SELECT d.id FROM declarations d
WHERE d.post_code = $1 AND d.status IN ('registered', 'inspection')
ORDER BY d.created_at, d.id
LIMIT $2
"""


async def awaiting_ids(conn: asyncpg.Connection, post_code: str, limit: int) -> list[str]:
    return [r["id"] for r in await conn.fetch(AWAITING, post_code, limit)]


POST_EXISTS = "SELECT EXISTS (SELECT 1 FROM posts WHERE code = $1)"


async def post_exists(conn: asyncpg.Connection, post_code: str) -> bool:
    return bool(await conn.fetchval(POST_EXISTS, post_code))
