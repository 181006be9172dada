"""GET /api/declarations/{id}/evidence-package: the zip, streamed; every download audited."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.response import Stream

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.evidence.package import prepare
from backend.evidence.zipstream import stream_zip


class EvidenceController(Controller):
    path = "/api/declarations"
    tags = ["evidence"]

    @get("/{declaration_id:str}/evidence-package", guards=[may("evidence.package")],
         response_description="application/zip; check it with `dosmotr verify PACKAGE.zip`")
    async def evidence_package(
        self, declaration_id: str, request: Request[Actor, str, State], state: State, conn: Conn
    ) -> Stream:
        plan = await prepare(conn, request.user, declaration_id)
        return Stream(
            stream_zip(state.store, plan), media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{plan.filename}"',
                     "Cache-Control": "no-store"},
        )
