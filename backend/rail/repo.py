"""The consist SQL (the caller holds the transaction)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

RAIL_POST = "SELECT kind = 'rail' FROM posts WHERE code = $1"

BY_TRAIN = "SELECT id, body_sha256 FROM rail_consists WHERE train_number = $1 AND train_date = $2"

INSERT_CONSIST = """
INSERT INTO rail_consists (post_code, train_number, train_date, station, expected_at,
                           body_sha256, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (train_number, train_date) DO NOTHING
RETURNING id
"""

INSERT_WAGON = """
INSERT INTO rail_consist_wagons (consist_id, position, wagon_number, container_numbers,
                                 consignor, consignee, goods)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
"""

CONSIST = "SELECT * FROM rail_consists WHERE id = $1"

WAGONS = "SELECT * FROM rail_consist_wagons WHERE consist_id = $1 ORDER BY position"

# The train's scans at its post: the scanner's composition number is the train number.
TRAIN_SCANS = """
SELECT id, image_id, wagon_number, scanned_at, verdict FROM idk_scans
WHERE post_code = $1 AND composition_number = $2
  AND scanned_at >= $3::timestamptz - interval '2 days'
  AND scanned_at < $3::timestamptz + interval '2 days'
ORDER BY scanned_at, id
"""

# The declarations a wagon of the consist belongs to: open ones at the post naming the wagon,
# and those linked to the wagon's scan (whatever their state).
WAGON_DECLARATIONS = """
SELECT u.number, d.id FROM transport_units u JOIN declarations d ON d.id = u.declaration_id
WHERE u.kind = 'wagon' AND u.number = ANY($2::text[]) AND d.post_code = $1
  AND d.status IN ('registered', 'inspection')
UNION
SELECT s.wagon_number, l.declaration_id FROM scan_links l JOIN idk_scans s ON s.id = l.scan_id
WHERE l.scan_id = ANY($3::text[]) AND l.unlinked_at IS NULL
ORDER BY 1, 2
"""


async def wagon_declarations(conn: asyncpg.Connection, post: str, numbers: list[str],
                             scan_ids: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(WAGON_DECLARATIONS, post, numbers, scan_ids)


async def rail_post(conn: asyncpg.Connection, code: str) -> bool | None:
    return await conn.fetchval(RAIL_POST, code)  # type: ignore[no-any-return]


async def by_train(conn: asyncpg.Connection, train: str, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow(BY_TRAIN, train, day)


async def insert_consist(conn: asyncpg.Connection, post: str, train: str, day: date,
                         station: str, expected_at: datetime, sha: str, user: str) -> str | None:
    return await conn.fetchval(  # type: ignore[no-any-return]
        INSERT_CONSIST, post, train, day, station, expected_at, sha, user)


async def insert_wagons(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(INSERT_WAGON, rows)


async def consist(conn: asyncpg.Connection, consist_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CONSIST, consist_id)


async def wagons(conn: asyncpg.Connection, consist_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(WAGONS, consist_id)


async def train_scans(conn: asyncpg.Connection, post: str, train: str,
                      expected_at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(TRAIN_SCANS, post, train, expected_at)
