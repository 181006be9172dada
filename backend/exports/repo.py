"""Decisions for export: SQL only. Read with a cursor, so an export of years stays small in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg

# Inspection outcome in one place: its state, the worst verdict of each phase's latest
# recording, and the count against the declared places.
DECISIONS = """
SELECT d.number, d.procedure, d.post_code, d.corridor, d.declared_corridor, d.declarant,
       d.inspection_required, rd.decision, rd.decided_at, rd.override, rd.override_reason,
       rd.comment, u.name AS official_name, u.login AS official_login,
       i.status AS inspection_status, i.places_counted,
       (SELECT coalesce(sum(l.places), 0) FROM declaration_lines l
        WHERE l.declaration_id = d.id) AS places_declared,
       (SELECT CASE WHEN bool_or(x.verdict = 'fail') THEN 'fail'
                    WHEN bool_or(x.verdict IS NULL) THEN 'pending'
                    WHEN bool_or(x.verdict = 'warn') THEN 'warn'
                    WHEN count(*) > 0 THEN 'pass' END
        FROM (SELECT DISTINCT ON (r.phase) v.verdict
              FROM recordings r LEFT JOIN validation_reports v ON v.recording_id = r.id
              WHERE r.inspection_id = i.id
              ORDER BY r.phase, r.version DESC) x) AS evidence_verdict,
       (SELECT string_agg(DISTINCT coalesce(s.verdict, 'pending'), ',')
        FROM scan_links sl JOIN idk_scans s ON s.id = sl.scan_id
        WHERE sl.declaration_id = d.id) AS idk_verdicts
FROM release_decisions rd
JOIN declarations d ON d.id = rd.declaration_id
JOIN users u ON u.id = rd.actor_id
LEFT JOIN inspections i ON i.declaration_id = d.id
WHERE ($1::text IS NULL OR d.post_code = $1)
  AND ($2::timestamptz IS NULL OR rd.decided_at >= $2)
  AND ($3::timestamptz IS NULL OR rd.decided_at < $3)
ORDER BY rd.decided_at, d.number
"""


async def decisions(
    pool: asyncpg.Pool, post_code: str | None, since: datetime | None, until: datetime | None,
    batch: int = 500,
) -> AsyncIterator[list[Any]]:
    """Batches of decision rows, from one consistent snapshot on a connection of its own."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows: list[Any] = []
        async for row in conn.cursor(DECISIONS, post_code, since, until, prefetch=batch):
            rows.append(row)
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows


POST_EXISTS = "SELECT EXISTS (SELECT 1 FROM posts WHERE code = $1)"


async def post_exists(conn: asyncpg.Connection, code: str) -> bool:
    return bool(await conn.fetchval(POST_EXISTS, code))
