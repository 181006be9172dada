"""The transactional outbox: `emit` an event inside the transaction of the change it reports.

Nothing is sent for a change that rolls back, and nothing is lost when a process dies after
the commit: deliveries and the change feed read `outbox_events`, never the change itself.
An event gets its `seq` (the feed's cursor) at commit, in commit order (migration 0013), so
until then it is invisible to the feed as well as to other transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

EVENT_TYPES = frozenset({
    "declaration.corridor_changed",  # data: old, new, reason (idk_suspicion, model_disagreement, head_order)
    "declaration.released",  # data: the releasing official
    "declaration.refused",
    "inspection.ordered",
    "inspection.finished",
    "idk.verdict",
})

MAX_FEED_LIMIT = 500


class ChangeEvent(msgspec.Struct, frozen=True):
    """One event as the change feed and the webhooks carry it; `id` is the idempotency key."""

    seq: int
    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]


INSERT_EVENT = "INSERT INTO outbox_events (type, data) VALUES ($1, $2) RETURNING id::text"


async def emit(conn: asyncpg.Connection, type: str, data: dict[str, Any]) -> str:
    """Write one event in the caller's transaction; its id. Must run in a transaction."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if not conn.is_in_transaction():
        raise RuntimeError("emit() belongs in the transaction of the change it reports")
    event_id: str = await conn.fetchval(INSERT_EVENT, type, msgspec.to_builtins(data))
    from backend.integration.fanout import fan_out  # the webhooks' deliveries, same transaction

    await fan_out(conn, event_id, type)
    return event_id


EVENTS_AFTER = """
SELECT seq, id::text AS id, type, occurred_at, data
FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2  -- NULL seq: not committed yet
"""


async def events_after(conn: asyncpg.Connection, after: int, limit: int) -> list[ChangeEvent]:
    rows = await conn.fetch(EVENTS_AFTER, after, limit)
    return [ChangeEvent(**dict(r)) for r in rows]
