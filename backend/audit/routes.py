"""GET /api/audit, GET /api/audit/verify (auditors and admins)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from backend.audit import repo
from backend.auth.permissions import may
from backend.deps import Conn


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [may("audit.read")]

    @get("/")
    async def list_events(
        self,
        conn: Conn,
        object_type: str | None = None,
        object_id: str | None = None,
        after: Annotated[int, Parameter(ge=0, le=2**63 - 1)] = 0,  # seq is a bigint
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 500,
    ) -> list[repo.AuditEvent]:
        return await repo.list_events(conn, object_type, object_id, after, limit)

    @get("/verify")
    async def verify(self, conn: Conn) -> repo.ChainReport:
        return await repo.verify_chain(conn)
