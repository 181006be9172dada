"""GET /api/alerts, POST /api/alerts/{id}/read."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State

from backend.alerts import service
from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.errors import NotFound


class ReadOut(msgspec.Struct, frozen=True):
    id: str
    read_at: datetime


class AlertController(Controller):
    path = "/api/alerts"
    tags = ["alerts"]
    guards = [may("alerts.own")]

    @get("/")
    async def list_alerts(
        self, request: Request[Actor, str, State], conn: Conn, unread: bool = False
    ) -> list[service.AlertOut]:
        return await service.inbox(conn, request.user.id, unread)

    @post("/{alert_id:str}/read", status_code=200)
    async def read(self, alert_id: str, request: Request[Actor, str, State], conn: Conn) -> ReadOut:
        read_at = await service.mark_read(conn, alert_id, request.user.id)
        if read_at is None:
            raise NotFound(f"alert {alert_id} not found")
        return ReadOut(id=alert_id, read_at=read_at)
