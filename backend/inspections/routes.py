"""Inspections: list, read, start, counts, finish, reassign."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.declarations.schemas import ReasonIn
from backend.deps import Conn
from backend.inspections import service, view
from backend.inspections.view import CountsIn, InspectionListItem, InspectionOut

ActorRequest = Request[Actor, str, State]


class ReassignedOut(msgspec.Struct, frozen=True):
    id: str
    inspector_id: str


class InspectionController(Controller):
    path = "/api/inspections"
    tags = ["inspections"]

    @get("/", guards=[may("inspection.read")])
    async def list_inspections(
        self,
        request: ActorRequest,
        conn: Conn,
        mine: bool = False,
        status: Literal["unassigned", "assigned", "in_progress", "finished"] | None = None,
        post_code: str | None = None,
    ) -> list[InspectionListItem]:
        return await view.list_for(conn, request.user, mine, status, post_code)

    @get("/{inspection_id:str}", guards=[may("inspection.read")])
    async def get_one(self, inspection_id: str, request: ActorRequest, conn: Conn) -> InspectionOut:
        return await view.view(conn, request.user, inspection_id)

    @post("/{inspection_id:str}/start", guards=[may("inspection.conduct")], status_code=200)
    async def start(self, inspection_id: str, request: ActorRequest, conn: Conn) -> InspectionOut:
        await service.start(conn, request.user, inspection_id)
        return await view.view(conn, request.user, inspection_id)

    @post("/{inspection_id:str}/counts", guards=[may("inspection.conduct")], status_code=200)
    async def counts(
        self, inspection_id: str, data: CountsIn, request: ActorRequest, conn: Conn
    ) -> InspectionOut:
        await service.record_counts(
            conn, request.user, inspection_id, data.places_counted, data.items_counted,
            data.discrepancy_note,
        )
        return await view.view(conn, request.user, inspection_id)

    @post("/{inspection_id:str}/finish", guards=[may("inspection.conduct")], status_code=200)
    async def finish(self, inspection_id: str, request: ActorRequest, conn: Conn) -> InspectionOut:
        await service.finish(conn, request.user, inspection_id)
        return await view.view(conn, request.user, inspection_id)

    @post("/{inspection_id:str}/reassign", guards=[may("inspection.reassign")], status_code=200)
    async def reassign(
        self, inspection_id: str, data: ReasonIn, request: ActorRequest, conn: Conn
    ) -> ReassignedOut:
        new_id = await service.reassign(conn, request.user, inspection_id, data.reason)
        return ReassignedOut(id=inspection_id, inspector_id=new_id)
