"""GET /api/push/vapid-public-key, /api/push/subscriptions (own), POST /api/push/test."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.push import service
from backend.push.schemas import SubscriptionIn, SubscriptionOut, TestQueued, VapidKeyOut
from backend.push.vapid import public_key_b64url

ActorRequest = Request[Actor, str, State]


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]
    guards = [may("push.own")]

    @get("/vapid-public-key")
    async def vapid_public_key(self, state: State) -> VapidKeyOut:
        return VapidKeyOut(key=public_key_b64url(state.secrets.vapid_private_key))

    @post("/subscriptions", status_code=201)
    async def subscribe(
        self, data: SubscriptionIn, request: ActorRequest, state: State, conn: Conn
    ) -> Response[SubscriptionOut]:
        sub, created = await service.subscribe(
            conn, request.user, data, state.settings.push_hosts, request.headers.get("user-agent")
        )
        return Response(sub, status_code=201 if created else 200)

    @get("/subscriptions")
    async def list_own(self, request: ActorRequest, conn: Conn) -> list[SubscriptionOut]:
        return await service.list_own(conn, request.user)

    @delete("/subscriptions/{subscription_id:str}", status_code=204)
    async def unsubscribe(self, subscription_id: str, request: ActorRequest, conn: Conn) -> None:
        await service.unsubscribe(conn, request.user, subscription_id)

    @post("/test", status_code=202)
    async def test(self, request: ActorRequest, conn: Conn) -> TestQueued:
        return await service.send_test(conn, request.user)
