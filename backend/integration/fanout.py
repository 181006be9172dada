"""Fan-out of an event to the webhooks subscribed to its type, in the event's own transaction:
one `webhook_deliveries` row per enabled webhook and one `deliver_webhooks` job, so the event
and its deliveries commit (or roll back) together."""

from __future__ import annotations

import asyncpg
import msgspec
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries

DELIVER_WEBHOOKS = "deliver_webhooks"


class DeliverWebhooks(msgspec.Struct, frozen=True):
    event_id: str


FAN_OUT = """
INSERT INTO webhook_deliveries (webhook_id, event_id)
SELECT id, $1::uuid FROM webhooks WHERE enabled AND $2 = ANY (events)
ON CONFLICT (webhook_id, event_id) DO NOTHING
RETURNING id
"""


async def enqueue_delivery(conn: asyncpg.Connection, event_id: str) -> None:
    await Queries(AsyncpgDriver(conn)).enqueue(
        DELIVER_WEBHOOKS, msgspec.json.encode(DeliverWebhooks(event_id)), priority=5
    )


async def fan_out(conn: asyncpg.Connection, event_id: str, type: str) -> int:
    rows = await conn.fetch(FAN_OUT, event_id, type)
    if rows:
        await enqueue_delivery(conn, event_id)
    return len(rows)
