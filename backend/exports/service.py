"""Decision exports: who may export which post, the columns, and the CSV and XLSX writers.

Rows are read in batches from a cursor and written as they come: CSV straight to the response,
XLSX through openpyxl's write-only mode into a temporary file (a zip needs its end before it can
be sent), both off the event loop. Text that a spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import InvalidRequest, NotFound
from backend.exports import repo
from backend.exports.sheets import cell as text_safe_cell
from backend.exports.sheets import safe, stream_workbook

COLUMNS = (
    "number", "procedure", "post", "corridor", "declared_corridor", "decision",
    "inspection_outcome", "idk_verdicts", "released_by_name", "released_by_login", "released_at",
    "override", "override_reason", "comment",
)
RELEASED_AT = COLUMNS.index("released_at")


def _outcome(r: Any) -> str:
    if r["inspection_status"] is None:
        return "inspection required, none made" if r["inspection_required"] else "not required"
    counted = "-" if r["places_counted"] is None else str(r["places_counted"])
    return (f"{r['inspection_status']}; evidence {r['evidence_verdict'] or 'none'}; "
            f"counted {counted} of {r['places_declared']} places")


def row_values(r: Any) -> list[Any]:
    return [
        r["number"], r["procedure"], r["post_code"], r["corridor"], r["declared_corridor"],
        r["decision"], _outcome(r), r["idk_verdicts"] or "", r["official_name"],
        r["official_login"], r["decided_at"], "yes" if r["override"] else "no",
        r["override_reason"] or "", r["comment"] or "",
    ]





async def prepare(
    conn: asyncpg.Connection, actor: Actor, fmt: str, post_code: str | None, since: date | None,
    until: date | None,
) -> tuple[str | None, datetime | None, datetime | None, str]:
    """Check the request and audit the export; (post, from, to as UTC bounds, file name)."""
    if post_code is not None:
        post_code = post_code.strip().upper()
        if not await repo.post_exists(conn, post_code):
            raise NotFound(f"post {post_code} not found")
    if actor.post_code is not None:
        if post_code not in (None, actor.post_code):
            raise NotFound(f"post {post_code} not found")
        post_code = actor.post_code
    if since and until and until < since:
        raise InvalidRequest("`to` is before `from`", field="to")
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None
    name = "-".join(p for p in ("decisions", post_code or "all-posts",
                                since.isoformat() if since else "", until.isoformat() if until else "") if p)
    async with conn.transaction():
        await audit.append(
            conn, actor_id=actor.id, action="declarations.exported", object_type="export",
            object_id=name, payload={"format": fmt, "post_code": post_code,
                                     "from": since.isoformat() if since else None,
                                     "to": until.isoformat() if until else None},
        )
    return post_code, start, end, f"{name}.{fmt}"


async def csv_stream(
    pool: asyncpg.Pool, post_code: str | None, since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode()  # the BOM lets Excel read UTF-8 (Cyrillic)
    async for batch in repo.decisions(pool, post_code, since, until):
        buf.seek(0)
        buf.truncate()
        for r in batch:
            values = row_values(r)
            values[RELEASED_AT] = values[RELEASED_AT].isoformat()  # ISO 8601 with its offset
            writer.writerow([safe(v) for v in values])
        yield buf.getvalue().encode()


def _xlsx_rows(ws: Any, batch: list[Any]) -> None:
    for r in batch:
        cells = []
        for value in row_values(r):
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value.astimezone(UTC).replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            else:
                cell = text_safe_cell(ws, value)
            cells.append(cell)
        ws.append(cells)


async def xlsx_stream(
    pool: asyncpg.Pool, post_code: str | None, since: datetime | None, until: datetime | None
) -> AsyncIterator[bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("decisions")
    ws.append([c if c != "released_at" else "released_at (UTC)" for c in COLUMNS])
    async for batch in repo.decisions(pool, post_code, since, until):
        await asyncio.to_thread(_xlsx_rows, ws, batch)
    async for data in stream_workbook(wb):
        yield data
