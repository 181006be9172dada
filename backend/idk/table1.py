"""Table 1 of the Zhetisu analysis: the scans of a post as CSV or XLSX.

Columns: №, composition number, wagon number, date, time, image id (the analysis's Table 1),
then the scanner, verdict, the operators (who uploaded, who gave the verdict) and the linked
declarations. Date and time are the post's local time (`posts.timezone`, Asia/Almaty unless
the post says otherwise) and each row names its zone; `from`/`to` are local days of the post.
Rows come from a cursor in batches and are written off the event loop; text that a
spreadsheet would run as a formula is quoted, as in the decision export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from openpyxl import Workbook

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import post_scope
from backend.errors import InvalidRequest, NotFound
from backend.exports.sheets import cell as text_safe_cell
from backend.exports.sheets import safe, stream_workbook

DEFAULT_TZ = "Asia/Almaty"
COLUMNS = (
    "no", "composition_number", "wagon_number", "date", "time", "image_id", "timezone",
    "post", "scanner", "container_numbers", "verdict", "verdict_by_name", "verdict_by_login",
    "verdict_at", "uploaded_by_name", "uploaded_by_login", "linked_declarations",
)
# the header says the date and time are the post's own, in both formats
HEADER = tuple(f"{c} (post local time)" if c in ("date", "time") else c for c in COLUMNS)

ROWS = """
SELECT s.image_id, s.composition_number, s.wagon_number, s.scanned_at, s.post_code, s.scanner,
       s.container_numbers, s.verdict, s.verdict_at, p.timezone,
       v.name AS verdict_by_name, v.login AS verdict_by_login,
       c.name AS uploaded_by_name, c.login AS uploaded_by_login,
       (SELECT string_agg(d.number, ',' ORDER BY d.number)
        FROM scan_links sl JOIN declarations d ON d.id = sl.declaration_id
        WHERE sl.scan_id = s.id) AS declarations
FROM idk_scans s
JOIN posts p ON p.code = s.post_code
JOIN users c ON c.id = s.created_by
LEFT JOIN users v ON v.id = s.verdict_by
WHERE ($1::text IS NULL OR s.post_code = $1)
  AND ($2::text IS NULL OR s.composition_number = $2)
  AND ($3::date IS NULL OR (s.scanned_at AT TIME ZONE p.timezone)::date >= $3)
  AND ($4::date IS NULL OR (s.scanned_at AT TIME ZONE p.timezone)::date <= $4)
ORDER BY s.post_code, s.scanned_at, s.composition_number, s.image_id
"""
POST_EXISTS = "SELECT EXISTS (SELECT 1 FROM posts WHERE code = $1)"


@dataclass(frozen=True)
class Query:
    """What one export asks for, after the checks: post (None: every post), composition, days."""

    post_code: str | None
    composition: str | None
    since: date | None
    until: date | None

    def args(self) -> tuple[Any, ...]:
        return self.post_code, self.composition, self.since, self.until


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)





def row_values(no: int, r: Any) -> list[Any]:
    tz = zone(r["timezone"])
    local = r["scanned_at"].astimezone(tz)
    verdict_at = r["verdict_at"].astimezone(tz).isoformat() if r["verdict_at"] else ""
    return [
        no, r["composition_number"], r["wagon_number"], local.strftime("%d.%m.%Y"),
        local.strftime("%H:%M:%S"), r["image_id"], f"{tz.key} (UTC{local.strftime('%z')})",
        r["post_code"], r["scanner"], ",".join(r["container_numbers"]),
        r["verdict"] or "pending", r["verdict_by_name"] or "", r["verdict_by_login"] or "",
        verdict_at, r["uploaded_by_name"], r["uploaded_by_login"], r["declarations"] or "",
    ]


async def prepare(
    conn: asyncpg.Connection, actor: Actor, fmt: str, post_code: str | None,
    composition: str | None, since: date | None, until: date | None,
) -> tuple[Query, str]:
    """Check the request and audit the export; (the query, the file name)."""
    if post_code is not None:
        post_code = post_code.strip().upper()
        if not await conn.fetchval(POST_EXISTS, post_code):
            raise NotFound(f"post {post_code} not found")
    own = post_scope(actor)
    if own is not None:
        if post_code not in (None, own):
            raise NotFound(f"post {post_code} not found")
        post_code = own
    if since and until and until < since:
        raise InvalidRequest("`to` is before `from`", field="to")
    composition = (composition or "").strip() or None
    parts = ("table1", post_code or "all-posts", composition or "",
             since.isoformat() if since else "", until.isoformat() if until else "")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(p for p in parts if p))
    async with conn.transaction():
        await audit.append(
            conn, actor_id=actor.id, action="idk_scans.exported", object_type="export",
            object_id=name, payload={"format": fmt, "post_code": post_code,
                                     "composition": composition,
                                     "from": since.isoformat() if since else None,
                                     "to": until.isoformat() if until else None},
        )
    return Query(post_code, composition, since, until), f"{name}.{fmt}"


async def _batches(pool: asyncpg.Pool, q: Query, size: int = 500) -> AsyncIterator[list[Any]]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows: list[Any] = []
        async for row in conn.cursor(ROWS, *q.args(), prefetch=size):
            rows.append(row)
            if len(rows) >= size:
                yield rows
                rows = []
        if rows:
            yield rows


async def _numbered(pool: asyncpg.Pool, q: Query) -> AsyncIterator[list[list[Any]]]:
    no = 0
    async for batch in _batches(pool, q):
        out = []
        for r in batch:
            no += 1
            out.append(row_values(no, r))
        yield out


async def csv_stream(pool: asyncpg.Pool, q: Query) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode()  # the BOM lets Excel read UTF-8 (Cyrillic)
    async for batch in _numbered(pool, q):
        buf.seek(0)
        buf.truncate()
        writer.writerows([[safe(v) for v in values] for values in batch])
        yield buf.getvalue().encode()


def _xlsx_rows(ws: Any, batch: list[list[Any]]) -> None:
    for values in batch:
        cells = []
        for value in values:
            cells.append(text_safe_cell(ws, value))
        ws.append(cells)


async def xlsx_stream(pool: asyncpg.Pool, q: Query) -> AsyncIterator[bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("table1")
    ws.append(list(HEADER))
    async for batch in _numbered(pool, q):
        await asyncio.to_thread(_xlsx_rows, ws, batch)
    async for data in stream_workbook(wb):
        yield data
