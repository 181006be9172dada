"""Pre-arrival consists: `POST /api/rail/consists` (the railway's integration account, or an
admin) and `GET /api/rail/consists/{id}` (the train aligned with its scans)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.rail import service
from backend.rail.schemas import ConsistIn, ConsistOut

ActorRequest = Request[Actor, str, State]


class RailConsistController(Controller):
    path = "/api/rail/consists"
    tags = ("rail",)

    @post("/", guards=[may("rail.consist.submit")])
    async def submit(self, data: ConsistIn, request: ActorRequest,
                     conn: Conn) -> Response[ConsistOut]:
        """201 for a new consist, 200 for a resend of the same one."""
        consist, created = await service.submit(conn, request.user, data)
        return Response(consist, status_code=201 if created else 200)

    @get("/{consist_id:str}", guards=[may("rail.consist.read")])
    async def get_one(self, consist_id: str, request: ActorRequest, conn: Conn) -> ConsistOut:
        return await service.read(conn, request.user, consist_id)
