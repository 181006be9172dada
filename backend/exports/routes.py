"""GET /api/declarations/export?format=csv|xlsx&from=&to=&post_code= (decisions, with who decided)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Stream

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.exports import service

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportController(Controller):
    # Its own static path: Litestar's router prefers it to /api/declarations/{declaration_id}.
    path = "/api/declarations/export"
    tags = ["declarations"]

    @get("/", guards=[may("declaration.export")])
    async def export(
        self,
        request: Request[Actor, str, State],
        state: State,
        conn: Conn,
        fmt: Annotated[Literal["csv", "xlsx"], Parameter(query="format")] = "csv",
        since: Annotated[date | None, Parameter(query="from", description="UTC day, inclusive")] = None,
        until: Annotated[date | None, Parameter(query="to", description="UTC day, inclusive")] = None,
        post_code: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Stream:
        post, start, end, filename = await service.prepare(
            conn, request.user, fmt, post_code, since, until
        )
        writer = service.csv_stream if fmt == "csv" else service.xlsx_stream
        return Stream(
            writer(state.pool, post, start, end), media_type=MEDIA[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"',
                     "Cache-Control": "no-store"},
        )
