"""SQL of the scanner calibration: the current row and its versions (history, never rewritten)."""

from __future__ import annotations

from typing import Any

import asyncpg

COLUMNS = """scanner_id, post_code, pitch_x_mm, pitch_y_mm, air_level, dark_level,
             raw_export_required, version, set_by, set_at, reason"""

SCANNER = f"""
SELECT {COLUMNS}, (SELECT u.name FROM users u WHERE u.id = s.set_by) AS set_by_name
FROM scanners s WHERE scanner_id = $1
"""


async def scanner(conn: asyncpg.Connection, scanner_id: str) -> Any:
    return await conn.fetchrow(SCANNER, scanner_id)


LOCK_SCANNER = "SELECT version, post_code FROM scanners WHERE scanner_id = $1 FOR UPDATE"


async def lock_scanner(conn: asyncpg.Connection, scanner_id: str) -> Any:
    return await conn.fetchrow(LOCK_SCANNER, scanner_id)


# One statement writes the current row and appends its version, so they never drift apart.
PUT_SCANNER = f"""
WITH cur AS (
    INSERT INTO scanners ({COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, now(), $9)
    ON CONFLICT (scanner_id) DO UPDATE SET
        post_code = EXCLUDED.post_code, pitch_x_mm = EXCLUDED.pitch_x_mm,
        pitch_y_mm = EXCLUDED.pitch_y_mm, air_level = EXCLUDED.air_level,
        dark_level = EXCLUDED.dark_level, raw_export_required = EXCLUDED.raw_export_required,
        version = scanners.version + 1, set_by = EXCLUDED.set_by, set_at = now(),
        reason = EXCLUDED.reason
    RETURNING {COLUMNS}
)
INSERT INTO scanner_versions ({COLUMNS})
SELECT {COLUMNS} FROM cur
RETURNING version
"""


async def put_scanner(conn: asyncpg.Connection, scanner_id: str, post_code: str,
                      figures: tuple[float | None, float | None, float | None, float | None],
                      raw_export_required: bool, actor_id: str, reason: str) -> int:
    return int(await conn.fetchval(PUT_SCANNER, scanner_id, post_code, *figures,
                                   raw_export_required, actor_id, reason))


VERSIONS = f"""
SELECT {COLUMNS}, (SELECT u.name FROM users u WHERE u.id = v.set_by) AS set_by_name
FROM scanner_versions v WHERE scanner_id = $1 ORDER BY version
"""


async def versions(conn: asyncpg.Connection, scanner_id: str) -> list[Any]:
    return list(await conn.fetch(VERSIONS, scanner_id))


# Scans of the scanner still awaiting a verdict: a new calibration reads them again.
PENDING_SCANS = """
SELECT id FROM idk_scans
WHERE scanner = $1 AND post_code = $2 AND verdict IS NULL AND assessment IS NOT NULL
ORDER BY created_at DESC LIMIT 1000
"""


async def pending_scans(conn: asyncpg.Connection, scanner_id: str, post_code: str) -> list[str]:
    return [str(r["id"]) for r in await conn.fetch(PENDING_SCANS, scanner_id, post_code)]


# The calibration a scan is judged with: its scanner's row, only at the scan's own post.
FOR_SCAN = f"SELECT {COLUMNS} FROM scanners WHERE scanner_id = $1 AND post_code = $2"


async def for_scan(conn: asyncpg.Connection, scanner_id: str, post_code: str) -> Any:
    return await conn.fetchrow(FOR_SCAN, scanner_id, post_code)
