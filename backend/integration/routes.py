"""GET /api/changes: the outbox's events in commit order, for the declaration system to poll."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from backend.auth.permissions import may
from backend.deps import Conn
from backend.errors import InvalidRequest
from backend.integration.outbox import MAX_FEED_LIMIT, ChangeEvent, events_after


class ChangePage(msgspec.Struct, frozen=True):
    """A page of the feed; pass `next_after` back as `after` to resume (it equals `after` when
    nothing is new, so polling with it never skips nor repeats an event)."""

    events: list[ChangeEvent]
    next_after: int


class ChangeController(Controller):
    path = "/api/changes"
    tags = ["integration"]
    guards = [may("changes.read")]

    @get("/")
    async def changes(self, conn: Conn, after: int = 0, limit: int = 100) -> ChangePage:
        if after < 0:
            raise InvalidRequest("after is a sequence number, 0 or more", field="after")
        if not 1 <= limit <= MAX_FEED_LIMIT:
            raise InvalidRequest(f"limit is 1 to {MAX_FEED_LIMIT}", field="limit")
        events = await events_after(conn, after, limit)
        return ChangePage(events=events, next_after=events[-1].seq if events else after)
