"""SQL of portal reads: store (replay-safe), bind to a scan, fill a scan's wagon number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from backend.portal.schemas import PortalReadOut

COLUMNS = """id, post_code, scanner, reader_id, read_at, source, kind, number, number_valid,
             confidence, scan_id, created_at"""


def _out(row: Any) -> PortalReadOut:
    return PortalReadOut(**{k: row[k] for k in PortalReadOut.__struct_fields__})


INSERT_READ = f"""
INSERT INTO portal_reads (post_code, scanner, reader_id, read_at, source, kind, number,
                          number_valid, confidence, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (reader_id, read_at, source, kind, number) DO NOTHING
RETURNING {COLUMNS}
"""

SAME_READ = f"""
SELECT {COLUMNS} FROM portal_reads
WHERE reader_id = $1 AND read_at = $2 AND source = $3 AND kind = $4 AND number = $5
"""


async def insert_read(conn: asyncpg.Connection, post_code: str, scanner: str, reader_id: str,
                      read_at: datetime, source: str, kind: str, number: str, valid: bool,
                      confidence: float | None, actor_id: str) -> tuple[PortalReadOut, bool]:
    """The stored read and whether it is new (False: the same read sent again)."""
    row = await conn.fetchrow(INSERT_READ, post_code, scanner, reader_id, read_at, source, kind,
                              number, valid, confidence, actor_id)
    if row is not None:
        return _out(row), True
    return _out(await conn.fetchrow(SAME_READ, reader_id, read_at, source, kind, number)), False


# The scan of the same scanner at the same post nearest in time, within the window.
NEAREST_SCAN = """
SELECT id, wagon_number, wagon_number_source, container_numbers, image_id FROM idk_scans
WHERE post_code = $1 AND scanner = $2
  AND scanned_at BETWEEN $3::timestamptz - make_interval(secs => $4::float8)
                     AND $3::timestamptz + make_interval(secs => $4::float8)
ORDER BY abs(extract(epoch FROM scanned_at - $3::timestamptz)), created_at
LIMIT 1
FOR UPDATE
"""


async def nearest_scan(conn: asyncpg.Connection, post_code: str, scanner: str, at: datetime,
                       window_s: float) -> Any:
    return await conn.fetchrow(NEAREST_SCAN, post_code, scanner, at, window_s)


BIND = "UPDATE portal_reads SET scan_id = $2 WHERE id = $1 AND scan_id IS NULL"


async def bind(conn: asyncpg.Connection, read_id: str, scan_id: str) -> None:
    await conn.execute(BIND, read_id, scan_id)


# Only a scan the scanner sent without a wagon number is filled; a number it sent is kept.
FILL_WAGON = """
UPDATE idk_scans SET wagon_number = $2, wagon_number_source = $3
WHERE id = $1 AND wagon_number = ''
"""


async def fill_wagon(conn: asyncpg.Connection, scan_id: str, number: str, source: str) -> bool:
    return str(await conn.execute(FILL_WAGON, scan_id, number, source)).endswith(" 1")


SCAN = """
SELECT id, post_code, image_id, wagon_number, wagon_number_source, container_numbers
FROM idk_scans WHERE id = $1
"""


async def scan(conn: asyncpg.Connection, scan_id: str) -> Any:
    return await conn.fetchrow(SCAN, scan_id)


READS_OF_SCAN = f"SELECT {COLUMNS} FROM portal_reads WHERE scan_id = $1 ORDER BY read_at, id"


async def reads_of_scan(conn: asyncpg.Connection, scan_id: str) -> list[PortalReadOut]:
    return [_out(r) for r in await conn.fetch(READS_OF_SCAN, scan_id)]


SCAN_FOR_BINDING = "SELECT id, post_code, scanner, scanned_at FROM idk_scans WHERE id = $1"


async def scan_for_binding(conn: asyncpg.Connection, scan_id: str) -> Any:
    return await conn.fetchrow(SCAN_FOR_BINDING, scan_id)


UNBOUND_NEAR = f"""
SELECT {COLUMNS} FROM portal_reads
WHERE post_code = $1 AND scanner = $2 AND scan_id IS NULL
  AND read_at BETWEEN $3::timestamptz - make_interval(secs => $4::float8)
                  AND $3::timestamptz + make_interval(secs => $4::float8)
ORDER BY read_at, id
FOR UPDATE
"""


async def unbound_reads_near(conn: asyncpg.Connection, post_code: str, scanner: str,
                             at: datetime, window_s: float) -> list[PortalReadOut]:
    return [_out(r) for r in await conn.fetch(UNBOUND_NEAR, post_code, scanner, at, window_s)]
