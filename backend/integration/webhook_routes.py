"""/api/integration/webhooks: the admin registers, lists, disables webhooks and replays a dead
delivery (the declaration system's receiving end)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar import delete as http_delete
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.integration import webhooks
from backend.integration.webhooks import DeliveryOut, WebhookIn, WebhookOut

ActorRequest = Request[Actor, str, State]
MANAGE, READ = may("integration.webhook.manage"), may("integration.webhook.read")


class WebhookController(Controller):
    path = "/api/integration/webhooks"
    tags = ["integration"]

    @post("/", status_code=201, guards=[MANAGE])
    async def create(self, data: WebhookIn, request: ActorRequest, state: State,
                     conn: Conn) -> WebhookOut:
        return await webhooks.create(conn, request.user, data, state.settings.webhook_hosts)

    @get("/", guards=[READ])
    async def list_all(self, conn: Conn) -> list[WebhookOut]:
        return await webhooks.list_all(conn)

    @http_delete("/{webhook_id:str}", status_code=204, guards=[MANAGE])
    async def disable(self, webhook_id: str, request: ActorRequest, conn: Conn) -> None:
        await webhooks.disable(conn, request.user, webhook_id)

    @get("/{webhook_id:str}/deliveries", guards=[READ])
    async def deliveries(self, webhook_id: str, conn: Conn) -> list[DeliveryOut]:
        return await webhooks.deliveries(conn, webhook_id)

    @post("/{webhook_id:str}/deliveries/{delivery_id:str}/replay", status_code=200,
          guards=[MANAGE])
    async def replay(self, webhook_id: str, delivery_id: str, request: ActorRequest,
                     conn: Conn) -> DeliveryOut:
        return await webhooks.replay(conn, request.user, webhook_id, delivery_id)
