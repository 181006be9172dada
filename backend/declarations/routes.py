"""Declarations: create (integration/admin), read, gate, release, refuse, order inspection."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.declarations import service
from backend.declarations.schemas import (
    DeclarationIn,
    DeclarationOut,
    GateOut,
    ReasonIn,
    RefusalResult,
    ReleaseIn,
    ReleaseResult,
)
from backend.deps import Conn
from backend.gate import service as gate

BIGINT_MAX = 2**63 - 1  # PostgreSQL takes no larger OFFSET


ActorRequest = Request[Actor, str, State]


class DeclarationController(Controller):
    path = "/api/declarations"
    tags = ["declarations"]

    @post("/", guards=[may("declaration.create")], status_code=201)
    async def create(
        self, data: DeclarationIn, request: ActorRequest, conn: Conn
    ) -> Response[DeclarationOut]:
        view, created = await service.create(conn, request.user, data)
        return Response(view, status_code=201 if created else 200)

    @get("/", guards=[may("declaration.read")])
    async def search(
        self,
        request: ActorRequest,
        conn: Conn,
        status: Literal["registered", "inspection", "released", "refused"] | None = None,
        post_code: str | None = None,
        number: str | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=BIGINT_MAX)] = 0,
        updated_since: datetime | None = None,
    ) -> list[DeclarationOut]:
        """`updated_since`: only those changed after it. The change feed (/api/changes) is the
        lossless way to follow changes; this filter suits a catch-up after a gap."""
        return await service.search(
            conn, request.user, status, post_code, number, limit, offset, updated_since
        )

    @get("/{declaration_id:str}", guards=[may("declaration.read")])
    async def get_one(self, declaration_id: str, request: ActorRequest, conn: Conn) -> DeclarationOut:
        return await service.get(conn, request.user, declaration_id)

    @get("/{declaration_id:str}/gate", guards=[may("declaration.read")])
    async def gate(self, declaration_id: str, request: ActorRequest, conn: Conn) -> GateOut:
        return await gate.evaluate(conn, request.user, declaration_id)

    @post("/{declaration_id:str}/release", guards=[may("declaration.release")], status_code=200)
    async def release(
        self, declaration_id: str, data: ReleaseIn, request: ActorRequest, conn: Conn
    ) -> ReleaseResult:
        return await gate.release(conn, request.user, declaration_id, data)

    @post("/{declaration_id:str}/refuse", guards=[may("declaration.refuse")], status_code=200)
    async def refuse(
        self, declaration_id: str, data: ReasonIn, request: ActorRequest, conn: Conn
    ) -> RefusalResult:
        return await gate.refuse(conn, request.user, declaration_id, data.reason)

    @post("/{declaration_id:str}/order-inspection", guards=[may("declaration.order_inspection")], status_code=200)
    async def order_inspection(
        self, declaration_id: str, data: ReasonIn, request: ActorRequest, conn: Conn
    ) -> DeclarationOut:
        return await service.order_inspection(conn, request.user, declaration_id, data.reason)
