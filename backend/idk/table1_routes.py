"""GET /api/idk/scans/export?format=csv|xlsx&composition=&from=&to=&post_code= (Table 1)."""

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
from backend.idk import table1

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class IdkTable1Controller(Controller):
    # Its own static path: Litestar's router prefers it to /api/idk/scans/{scan_id}.
    path = "/api/idk/scans/export"
    tags = ("idk",)

    @get("/", guards=[may("idk.export")])
    async def export(
        self,
        request: Request[Actor, str, State],
        state: State,
        conn: Conn,
        fmt: Annotated[Literal["csv", "xlsx"], Parameter(query="format")] = "csv",
        composition: Annotated[str | None, Parameter(max_length=64)] = None,
        since: Annotated[date | None, Parameter(query="from",
                                                description="post-local day, inclusive")] = None,
        until: Annotated[date | None, Parameter(query="to",
                                                description="post-local day, inclusive")] = None,
        post_code: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Stream:
        """Table 1 of the scans: №, composition, wagon, local date and time, image id, and
        the verdict, operators and linked declarations. Post staff get their own post."""
        query, filename = await table1.prepare(
            conn, request.user, fmt, post_code, composition, since, until
        )
        writer = table1.csv_stream if fmt == "csv" else table1.xlsx_stream
        return Stream(
            writer(state.pool, query), media_type=MEDIA[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}"',
                     "Cache-Control": "no-store"},
        )
