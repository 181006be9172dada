"""GET /api/search/declarations; GET /api/review-sample, POST /api/review-sample/{declaration_id}."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.review import service
from backend.review.schemas import DeclarationHit, ReviewIn, SampleDay, SampleItem

BIGINT_MAX = 2**63 - 1
ActorRequest = Request[Actor, str, State]
Short = Annotated[str | None, Parameter(max_length=64)]


class SearchController(Controller):
    path = "/api/search"
    tags = ["review"]

    @get("/declarations", guards=[may("declaration.search")])
    async def declarations(
        self,
        request: ActorRequest,
        conn: Conn,
        number: Short = None,
        container: Short = None,
        wagon: Short = None,
        plate: Short = None,
        inspector: Annotated[str | None, Parameter(max_length=64, description="login or id")] = None,
        post_code: Short = None,
        since: Annotated[date | None, Parameter(query="from", description="UTC day, inclusive")] = None,
        until: Annotated[date | None, Parameter(query="to", description="UTC day, inclusive")] = None,
        verdict: Annotated[Literal["suspicion", "clear", "pending"] | None,
                           Parameter(description="IDK verdict of a linked scan")] = None,
        override: bool | None = None,
        status: Literal["registered", "inspection", "released", "refused"] | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=BIGINT_MAX)] = 0,
    ) -> list[DeclarationHit]:
        return await service.search(
            conn, request.user, number=number, container=container, wagon=wagon, plate=plate,
            inspector=inspector, post_code=post_code, since=since, until=until, verdict=verdict,
            override=override, status=status, limit=limit, offset=offset,
        )


class ReviewSampleController(Controller):
    path = "/api/review-sample"
    tags = ["review"]

    @get("/", guards=[may("review.sample")])
    async def sample(
        self,
        state: State,
        conn: Conn,
        day: Annotated[date | None, Parameter(query="date", description="UTC day; default yesterday")] = None,
        post_code: Short = None,
    ) -> list[SampleDay]:
        return await service.sample(conn, state.secrets.token_pepper, day, post_code)

    @post("/{declaration_id:str}", guards=[may("review.record")], status_code=200)
    async def review(
        self, declaration_id: str, data: ReviewIn, request: ActorRequest, conn: Conn
    ) -> SampleItem:
        return await service.review(conn, request.user, declaration_id, data)
