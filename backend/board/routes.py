"""GET /api/board, GET /api/board/stream (server-sent events), GET /api/declarations/awaiting."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import ServerSentEvent

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.board import service
from backend.board.schemas import AwaitingDeclaration, BoardOut
from backend.deps import Conn

ActorRequest = Request[Actor, str, State]


class BoardController(Controller):
    path = "/api/board"
    tags = ["board"]
    guards = [may("board.watch")]

    @get("/")
    async def board(
        self, request: ActorRequest, conn: Conn, post_code: str | None = None
    ) -> BoardOut:
        return await service.board(conn, request.user, post_code)

    @get("/stream")
    async def stream(
        self,
        request: ActorRequest,
        state: State,
        post_code: str | None = None,
        max_s: Annotated[float, Parameter(ge=0, le=3600)] = 300,
    ) -> ServerSentEvent:
        """`change` events for the post until `max_s` seconds have passed."""
        # A pooled connection only for the check: a stream must not hold one for minutes.
        async with state.pool.acquire() as conn:
            code = await service.board_post(conn, request.user, post_code)
        return ServerSentEvent(service.changes(state.board_hub, code, max_s))


class AwaitingController(Controller):
    path = "/api/declarations/awaiting"
    tags = ["board"]
    guards = [may("board.watch")]

    @get("/")
    async def awaiting(
        self, request: ActorRequest, conn: Conn, post_code: str | None = None
    ) -> list[AwaitingDeclaration]:
        return await service.awaiting(conn, request.user, post_code)
