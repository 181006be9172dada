"""Webhooks managed by the admin: register, list with delivery stats, disable, replay a dead
delivery. The secret is kept to sign deliveries and never returned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import (
    InvalidRequest,
    InvalidState,
    NotFound,
    PushEndpointRefused,
    WebhookHostRefused,
)
from backend.integration.fanout import enqueue_delivery
from backend.integration.outbox import EVENT_TYPES
from backend.push.hosts import check_endpoint


class WebhookIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(max_length=2048)]
    secret: Annotated[str, msgspec.Meta(min_length=16, max_length=256)]
    events: Annotated[list[str], msgspec.Meta(min_length=1, max_length=len(EVENT_TYPES))]


class DeliveryStats(msgspec.Struct, frozen=True):
    queued: int = 0
    delivered: int = 0
    dead: int = 0


class WebhookOut(msgspec.Struct, frozen=True):
    id: str
    url: str
    events: list[str]
    enabled: bool
    created_at: datetime
    disabled_at: datetime | None
    deliveries: DeliveryStats


class DeliveryOut(msgspec.Struct, frozen=True):
    id: str
    webhook_id: str
    event_id: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None


def check_url(url: str, allowlist: tuple[str, ...]) -> None:
    """The push allowlist's rules over DOSMOTR_WEBHOOK_HOSTS, else 422 webhook_host_not_allowed."""
    try:
        check_endpoint(url, allowlist)
    except PushEndpointRefused as exc:
        detail = exc.detail.replace("push-service allowlist (DOSMOTR_PUSH_HOSTS)",
                                    "webhook allowlist (DOSMOTR_WEBHOOK_HOSTS)")
        raise WebhookHostRefused(detail.replace("push endpoints", "webhook URLs")) from exc


LIST = """
SELECT w.id::text AS id, w.url, w.events, w.enabled, w.created_at, w.disabled_at,
       count(d.id) FILTER (WHERE d.state = 'queued') AS queued,
       count(d.id) FILTER (WHERE d.state = 'delivered') AS delivered,
       count(d.id) FILTER (WHERE d.state = 'dead') AS dead
FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id
WHERE ($1::uuid IS NULL OR w.id = $1::uuid)
GROUP BY w.id ORDER BY w.created_at, w.id
"""


def _out(row: asyncpg.Record) -> WebhookOut:
    return WebhookOut(
        id=row["id"], url=row["url"], events=list(row["events"]), enabled=row["enabled"],
        created_at=row["created_at"], disabled_at=row["disabled_at"],
        deliveries=DeliveryStats(row["queued"], row["delivered"], row["dead"]),
    )


async def list_all(conn: asyncpg.Connection, webhook_id: str | None = None) -> list[WebhookOut]:
    return [_out(r) for r in await conn.fetch(LIST, webhook_id)]


async def create(conn: asyncpg.Connection, actor: Actor, data: WebhookIn,
                 allowlist: tuple[str, ...]) -> WebhookOut:
    unknown = sorted(set(data.events) - EVENT_TYPES)
    if unknown:
        raise InvalidRequest(f"unknown event types: {', '.join(unknown)}", field="events")
    check_url(data.url, allowlist)
    async with conn.transaction():
        webhook_id = await conn.fetchval(
            "INSERT INTO webhooks (url, secret, events, created_by) VALUES ($1, $2, $3, $4)"
            " RETURNING id::text", data.url, data.secret, sorted(set(data.events)), actor.id)
        await audit.append(conn, actor_id=actor.id, action="integration.webhook_created",
                           object_type="webhook", object_id=webhook_id,
                           payload={"url": data.url, "events": sorted(set(data.events))})
    [out] = await list_all(conn, webhook_id)
    return out


def _uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise NotFound(f"no such {what}") from exc


async def disable(conn: asyncpg.Connection, actor: Actor, webhook_id: str) -> None:
    webhook_id = _uuid(webhook_id, "webhook")
    async with conn.transaction():
        row = await conn.fetchrow(
            "UPDATE webhooks SET enabled = false, disabled_at = coalesce(disabled_at, now())"
            " WHERE id = $1 RETURNING id", webhook_id)
        if row is None:
            raise NotFound("no such webhook")
        await audit.append(conn, actor_id=actor.id, action="integration.webhook_disabled",
                           object_type="webhook", object_id=webhook_id, payload={})


REPLAY = """
UPDATE webhook_deliveries SET state = 'queued', attempts = 0, next_at = now()
WHERE id = $1 AND webhook_id = $2 AND state = 'dead'
RETURNING id::text AS id, webhook_id::text AS webhook_id, event_id::text AS event_id, state,
          attempts, last_status, last_error
"""


async def replay(conn: asyncpg.Connection, actor: Actor, webhook_id: str,
                 delivery_id: str) -> DeliveryOut:
    webhook_id, delivery_id = _uuid(webhook_id, "webhook"), _uuid(delivery_id, "delivery")
    async with conn.transaction():
        row = await conn.fetchrow(REPLAY, delivery_id, webhook_id)
        if row is None:
            state = await conn.fetchval(
                "SELECT state FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2",
                delivery_id, webhook_id)
            if state is None:
                raise NotFound("no such delivery")
            raise InvalidState(f"only a dead delivery is replayed; this one is {state}")
        await enqueue_delivery(conn, row["event_id"])
        await audit.append(conn, actor_id=actor.id, action="integration.webhook_replayed",
                           object_type="webhook_delivery", object_id=delivery_id,
                           payload={"webhook_id": webhook_id, "event_id": row["event_id"]})
    return DeliveryOut(**dict(row))


DELIVERIES = """
SELECT id::text AS id, webhook_id::text AS webhook_id, event_id::text AS event_id, state,
       attempts, last_status, last_error
FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id LIMIT 500
"""


async def deliveries(conn: asyncpg.Connection, webhook_id: str) -> list[DeliveryOut]:
    webhook_id = _uuid(webhook_id, "webhook")
    if await conn.fetchval("SELECT 1 FROM webhooks WHERE id = $1", webhook_id) is None:
        raise NotFound("no such webhook")
    return [DeliveryOut(**dict(r)) for r in await conn.fetch(DELIVERIES, webhook_id)]
