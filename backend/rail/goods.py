"""The railway's pre-arrival goods of a scan's wagon: what the X-ray assessment compares the
image with while no declaration is linked (the scan's composition number is the train number,
its wagon is in that train's consist at the scan's post, the consist expected within two days)."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

PRE_ARRIVAL_GOODS = """
SELECT w.goods FROM idk_scans s
JOIN rail_consists c ON c.post_code = s.post_code AND c.train_number = s.composition_number
 AND s.scanned_at BETWEEN c.expected_at - interval '2 days' AND c.expected_at + interval '2 days'
JOIN rail_consist_wagons w ON w.consist_id = c.id AND w.wagon_number = s.wagon_number
WHERE s.id = $1 AND s.composition_number <> '' AND s.wagon_number <> ''
ORDER BY abs(extract(epoch FROM s.scanned_at - c.expected_at)), c.id
LIMIT 1
"""


async def pre_arrival_lines(conn: asyncpg.Connection, scan_id: str) -> list[dict[str, Any]] | None:
    """The goods lines ({hs_code, description, packaging, places, gross_kg}) of the scan's
    wagon in its train's consist, or None when no consist lists it."""
    raw = await conn.fetchval(PRE_ARRIVAL_GOODS, scan_id)
    if raw is None:
        return None
    lines = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return list(lines) or None
