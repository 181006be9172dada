"""The `deliver_webhooks` job: POST an event to each webhook with a queued delivery of it.

Body `{id, type, occurred_at, data}`, signed (`Dosmotr-Signature`, backend/integration/
signing.py), the event id also in `Idempotency-Key`. 5xx, 429, timeouts and connection errors
are retried with back-off; after MAX_ATTEMPTS the delivery is `dead` until the admin replays
it. A delivery is claimed with a lease before the post and marked `delivered` in a short
transaction right after a 2xx, so a delivered row is never sent again; a worker killed between
the receiver's 2xx and that commit sends once more after the lease, with the same event id —
receivers dedupe by it (the contract).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
import requests
from pgqueuer.errors import RetryRequested
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager

from backend.errors import WebhookHostRefused
from backend.integration import signing
from backend.integration.fanout import DELIVER_WEBHOOKS, DeliverWebhooks
from backend.integration.webhooks import check_url
from backend.settings import Settings

log = logging.getLogger("dosmotr.webhooks")

MAX_ATTEMPTS = 6
BACKOFF_S = 2.0  # first wait; doubles each try (tests make it tiny)
IN_JOB_WAIT_CAP_S = 30.0  # longer waits go back to the queue
LEASE_S = 120.0
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Outcome:
    status: int | None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        if self.status is None:
            return self.detail.startswith("network")
        return self.status == 429 or self.status >= 500


def post_event(url: str, secret: str, body: bytes, event_id: str,
               allowlist: tuple[str, ...]) -> Outcome:
    """One signed POST (blocking: run it in a thread). Never follows a redirect."""
    try:
        check_url(url, allowlist)
    except WebhookHostRefused as exc:
        return Outcome(None, f"refused: {exc.detail}")
    headers = {"Content-Type": "application/json", "Idempotency-Key": event_id,
               signing.HEADER: signing.sign(secret, body, int(time.time()))}
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=TIMEOUT_S,
                             allow_redirects=False)
    except requests.RequestException as exc:
        return Outcome(None, f"network: {type(exc).__name__}")
    return Outcome(resp.status_code, resp.text[:200])


PENDING = """
SELECT d.id::text AS id, w.url, w.secret, d.attempts
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.event_id = $1 AND d.state = 'queued' AND w.enabled
ORDER BY d.created_at, d.id
"""
CLAIM = """
UPDATE webhook_deliveries SET next_at = now() + make_interval(secs => $2)
WHERE id = $1 AND state = 'queued' AND next_at <= now() RETURNING attempts
"""
LEASE_LEFT = """
SELECT extract(epoch FROM next_at - now()) FROM webhook_deliveries
WHERE id = $1 AND state = 'queued'
"""
EVENT = "SELECT id::text AS id, type, occurred_at, data FROM outbox_events WHERE id = $1"
DELIVERED = """
UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $2,
       last_error = NULL, delivered_at = now() WHERE id = $1 AND state = 'queued'
"""
FAILED = """
UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
       state = CASE WHEN $4 THEN 'dead' ELSE 'queued' END,
       next_at = now() + make_interval(secs => $5)
WHERE id = $1 AND state = 'queued' RETURNING attempts
"""


class _Event(msgspec.Struct, frozen=True):
    id: str
    type: str
    occurred_at: Any
    data: dict[str, Any]


@dataclass
class WebhookDelivery:
    pool: asyncpg.Pool
    allowlist_factory: Callable[[], tuple[str, ...]] = lambda: Settings.from_env().webhook_hosts
    sleep: Callable[[float], Any] = asyncio.sleep

    async def __call__(self, job: Job) -> None:
        await self.deliver(msgspec.json.decode(job.payload or b"{}", type=DeliverWebhooks).event_id)

    async def deliver(self, event_id: str) -> None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(EVENT, event_id)
            pending = await conn.fetch(PENDING, event_id)
        if row is None or not pending:
            return
        body = msgspec.json.encode(_Event(**dict(row)))
        allowlist = self.allowlist_factory()
        later: list[float] = []
        for target in pending:
            wait = await self._deliver_one(target, body, event_id, allowlist)
            if wait is not None:
                later.append(wait)
        if later:
            raise RetryRequested(delay=timedelta(seconds=max(later)),
                                 reason=f"{len(later)} webhook delivery(ies) deferred")

    async def _deliver_one(self, target: Any, body: bytes, event_id: str,
                           allowlist: tuple[str, ...]) -> float | None:
        """Tries until delivered, dead, or a long wait; the wait left (None: done)."""
        while True:
            async with self.pool.acquire() as conn:
                attempts = await conn.fetchval(CLAIM, target["id"], LEASE_S)
            if attempts is None:
                # delivered or dead: done; still queued: a lease (of a run killed mid-post, or
                # a back-off) runs out later, and this job comes back for it then
                async with self.pool.acquire() as conn:
                    left = await conn.fetchval(LEASE_LEFT, target["id"])
                return None if left is None else max(float(left), 0.0) + 0.05
            outcome = await asyncio.to_thread(post_event, target["url"], target["secret"],
                                              body, event_id, allowlist)
            async with self.pool.acquire() as conn, conn.transaction():
                if outcome.ok:
                    await conn.execute(DELIVERED, target["id"], outcome.status)
                    return None
                last = attempts + 1 >= MAX_ATTEMPTS or not outcome.transient
                wait = BACKOFF_S * (2 ** attempts)
                await conn.execute(FAILED, target["id"], outcome.status,
                                   outcome.detail or None, last, wait)
            log.info("webhook delivery %s answered %s (try %d)", target["id"],
                     outcome.status, attempts + 1)
            if last:
                return None
            if wait > IN_JOB_WAIT_CAP_S:
                return wait
            await self.sleep(wait)


def register(qm: QueueManager, pool: asyncpg.Pool, concurrency: int = 2) -> WebhookDelivery:
    """Add the `deliver_webhooks` entrypoint to a worker's queue manager."""
    delivery = WebhookDelivery(pool)
    qm.entrypoint(DELIVER_WEBHOOKS, concurrency_limit=concurrency, on_failure="delete")(delivery)
    return delivery
