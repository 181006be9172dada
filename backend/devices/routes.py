"""POST /api/devices, POST /api/devices/{id}/approve|revoke, GET /api/devices[/{id}]."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.devices import service


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    public_key_jwk: dict[str, Any]


class DeviceController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    # Only an inspector films evidence, so only an inspector's tablet has a key to register.
    @post("/", guards=[may("device.register")], status_code=201)
    async def register(
        self, data: DeviceIn, request: Request[Actor, str, State], conn: Conn
    ) -> Response[service.DeviceOut]:
        device, created = await service.register(conn, request.user, data.name, data.public_key_jwk)
        return Response(device, status_code=201 if created else 200)

    @get("/", guards=[may("device.read")])
    async def list_devices(
        self, request: Request[Actor, str, State], conn: Conn
    ) -> list[service.DeviceOut]:
        return await service.list_devices(conn, request.user)

    @get("/{device_id:str}", guards=[may("device.read")])
    async def get_device(
        self, device_id: str, request: Request[Actor, str, State], conn: Conn
    ) -> service.DeviceOut:
        return await service.get_device(conn, request.user, device_id)

    @post("/{device_id:str}/approve", guards=[may("device.approve")], status_code=200)
    async def approve(
        self, device_id: str, request: Request[Actor, str, State], conn: Conn
    ) -> service.DeviceOut:
        return await service.set_status(conn, request.user, device_id, "approved")

    @post("/{device_id:str}/revoke", guards=[may("device.approve")], status_code=200)
    async def revoke(
        self, device_id: str, request: Request[Actor, str, State], conn: Conn
    ) -> service.DeviceOut:
        return await service.set_status(conn, request.user, device_id, "revoked")
