"""Device registration and approval: only approved devices' signatures count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import post_scope
from backend.devices import repo
from backend.devices.keys import InvalidKey, canonical_public_jwk, public_key_from_jwk, thumbprint
from backend.errors import Forbidden, InvalidRequest, InvalidState, NotFound


class DeviceOut(msgspec.Struct, frozen=True):
    id: str
    name: str
    post_code: str | None
    status: str
    public_key_jwk: dict[str, Any]
    registered_by: str
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime
    # whose tablet it is: the inspector who registered it (a card shows the owner)
    registered_by_name: str = ""


async def register(
    conn: asyncpg.Connection, actor: Actor, name: str, jwk: dict[str, Any]
) -> tuple[DeviceOut, bool]:
    """Register a tablet's key; re-registering the same key returns the same device."""
    try:
        public_key_from_jwk(jwk)
    except InvalidKey as exc:
        raise InvalidRequest(str(exc), field="public_key_jwk") from exc
    key = canonical_public_jwk(jwk)
    tp = thumbprint(key)
    async with conn.transaction():
        row = await repo.insert(conn, name, actor.post_code, key, tp, actor.id)
        if row is None:
            existing = await repo.by_thumbprint(conn, tp)
            if existing["post_code"] != actor.post_code:
                raise NotFound("device not found")
            return DeviceOut(**dict(existing)), False
        await audit.append(
            conn, actor_id=actor.id, action="device.registered", object_type="device",
            object_id=row["id"], payload={"name": name, "thumbprint": tp, "post_code": actor.post_code},
        )
    return DeviceOut(**dict(row)), True


async def set_status(conn: asyncpg.Connection, actor: Actor, device_id: str, status: str) -> DeviceOut:
    async with conn.transaction():
        row = await repo.lock(conn, device_id)
        if row is None or not actor.sees_post(row["post_code"]):
            raise NotFound(f"device {device_id} not found")
        if row["registered_by"] == actor.id and status == "approved":
            raise Forbidden("a device cannot be approved by the person who registered it")
        if row["status"] == "revoked":
            raise InvalidState("a revoked device stays revoked; register a new key")
        if row["status"] == status:
            return DeviceOut(**dict(row))
        updated = await repo.set_status(conn, device_id, status, actor.id)
        await audit.append(
            conn, actor_id=actor.id, action=f"device.{status}", object_type="device",
            object_id=device_id, payload={"previous": row["status"]},
        )
    return DeviceOut(**dict(updated))


async def list_devices(conn: asyncpg.Connection, actor: Actor) -> list[DeviceOut]:
    scope = post_scope(actor)
    return [DeviceOut(**dict(r)) for r in await repo.list_devices(conn, scope)]


async def get_device(conn: asyncpg.Connection, actor: Actor, device_id: str) -> DeviceOut:
    row = await repo.by_id(conn, device_id)
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"device {device_id} not found")
    return DeviceOut(**dict(row))
