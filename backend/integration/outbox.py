"""The transactional outbox: `emit` an event inside the transaction of the change it reports.

Nothing is sent for a change that rolls back, and nothing is lost when a process dies after
the commit: deliveries and the change feed read `outbox_events`, never the change itself.
Writers take one transaction-scoped advisory lock before inserting, so `seq` grows in commit
order; the price is that event-writing transactions commit one at a time, which is small next
to the human-paced changes that raise events (a release, a verdict, an ordered inspection).
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

# An arbitrary, fixed key shared by every writer of the outbox (see the module docstring).
OUTBOX_LOCK_KEY = 0x0D05_0B0C

MAX_FEED_LIMIT = 500


class ChangeEvent(msgspec.Struct, frozen=True):
    """One event as the change feed and the webhooks carry it; `id` is the idempotency key."""

    seq: int
    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]


INSERT_EVENT = """
INSERT INTO outbox_events (type, data) VALUES ($1, $2) RETURNING seq, id::text
"""


async def emit(conn: asyncpg.Connection, type: str, data: dict[str, Any]) -> tuple[int, str]:
    """Write one event in the caller's transaction; its (seq, id). Must run in a transaction."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if not conn.is_in_transaction():
        raise RuntimeError("emit() belongs in the transaction of the change it reports")
    await conn.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK_KEY)
    row = await conn.fetchrow(INSERT_EVENT, type, msgspec.to_builtins(data))
    assert row is not None
    return row["seq"], row["id"]


EVENTS_AFTER = """
SELECT seq, id::text AS id, type, occurred_at, data
FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2
"""


async def events_after(conn: asyncpg.Connection, after: int, limit: int) -> list[ChangeEvent]:
    rows = await conn.fetch(EVENTS_AFTER, after, limit)
    return [ChangeEvent(**dict(r)) for r in rows]
