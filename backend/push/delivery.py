"""The `deliver_push` job: encrypt (RFC 8291) and post (RFC 8030) with a VAPID JWT (RFC 8292).

Runs in the worker, never in a request. Each (notification, subscription) pair is claimed in
`push_deliveries` before the post, so however often the job is retried an event is pushed once
to each browser. 429 and 5xx are retried with back-off (Retry-After honoured), first within
the job, then by re-queueing it; 404/410 delete the subscription; other refusals are final.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import asyncpg
import msgspec
import requests
from pgqueuer.errors import RetryRequested
from pgqueuer.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager
from py_vapid import Vapid02
from pywebpush import WebPusher

from backend.audit import repo as audit
from backend.errors import PushEndpointRefused
from backend.jobs import DELIVER_PUSH, DeliverPush
from backend.push import notification, repo
from backend.push.hosts import check_endpoint
from backend.push.schemas import Notification
from backend.push.vapid import signer
from backend.settings import Secrets, Settings, load_secrets

log = logging.getLogger("dosmotr.push")

VAPID_LIFETIME_S = 12 * 3600  # RFC 8292 allows at most 24 h
ATTEMPTS_IN_JOB = 3
RETRY_AFTER_CAP_S = 30.0  # longer waits go back to the queue instead of holding a worker
LEASE_S = 300.0  # a 'sending' claim older than this was left by a dead worker
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PushConfig:
    vapid: Vapid02
    subject: str
    allowlist: tuple[str, ...]
    backoff_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings, secrets: Secrets) -> PushConfig:
        return cls(signer(secrets.vapid_private_key), settings.vapid_subject, settings.push_hosts)

    @classmethod
    def from_env(cls) -> PushConfig:
        """The worker process reads the same environment (and data dir) as the API."""
        settings = Settings.from_env()
        return cls.from_settings(settings, load_secrets(settings))


@dataclass(frozen=True)
class PushResult:
    status: int | None  # None: no HTTP answer (network error, refused before sending)
    retry_after_s: float | None = None
    detail: str = ""

    @property
    def transient(self) -> bool:
        if self.status is None:
            return self.detail.startswith("network")
        return self.status == 429 or self.status >= 500


class _NoRedirects(requests.Session):
    """A push service that redirects is not on the allowlist's word any more: never follow."""

    def post(self, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().post(url, *args, **kwargs)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post_notification(
    config: PushConfig, target: Any, body: bytes, ttl_s: int, urgency: str,
    session: requests.Session,
) -> PushResult:
    """One encrypted POST to the subscription's push service (blocking: run it in a thread)."""
    try:
        aud = check_endpoint(target["endpoint"], config.allowlist)
    except PushEndpointRefused as exc:
        return PushResult(None, detail=f"refused: {exc.detail}")
    claims = {"sub": config.subject, "aud": aud, "exp": int(time.time()) + VAPID_LIFETIME_S}
    headers = {**config.vapid.sign(claims), "Urgency": urgency}
    info = {"endpoint": target["endpoint"],
            "keys": {"p256dh": target["p256dh"], "auth": target["auth"]}}
    try:
        resp = WebPusher(info, requests_session=session).send(
            body, headers, ttl=ttl_s, content_encoding="aes128gcm", timeout=TIMEOUT_S
        )
    except requests.RequestException as exc:
        return PushResult(None, detail=f"network: {type(exc).__name__}")
    assert isinstance(resp, requests.Response)
    return PushResult(resp.status_code, _retry_after(resp.headers.get("retry-after")),
                      resp.text[:200])


@dataclass
class PushDelivery:
    pool: asyncpg.Pool
    # Built on the first job that has someone to push to: the API process's settings and
    # secrets, read from the same environment (a worker without subscribers never needs them).
    config_factory: Callable[[], PushConfig] = PushConfig.from_env
    sleep: Callable[[float], Any] = asyncio.sleep
    _config: PushConfig | None = field(default=None, init=False)

    async def __call__(self, job: Job) -> None:
        await self.deliver(msgspec.json.decode(job.payload or b"{}", type=DeliverPush))

    def config(self) -> PushConfig:
        if self._config is None:
            self._config = self.config_factory()
        return self._config

    async def deliver(self, job: DeliverPush) -> None:
        async with self.pool.acquire() as conn:
            if job.alert_id is not None:
                row = await repo.alert(conn, job.alert_id)
                if row is None:
                    return
                message = notification.from_alert(row)
                targets = await repo.alert_targets(conn, job.alert_id)
            elif job.test_id is not None and job.user_id is not None:
                message = notification.test_notification(job.test_id)
                targets = await repo.user_targets(conn, job.user_id)
            else:
                log.warning("deliver_push job without an alert or a test: %s", job)
                return
        if not targets:
            return
        config = self.config()
        body = notification.encode(message)
        policy = notification.policy_for(message.kind)
        later: list[float] = []
        with _NoRedirects() as session:
            for target in targets:
                async with self.pool.acquire() as conn:
                    if not await repo.claim(conn, message.id, target["id"], message.alert_id, LEASE_S):
                        continue  # pushed (or given up) by an earlier run of this job
                result = await self._send(config, target, body, policy, session)
                status = await self._record(message, target, result)
                if status == "retry":
                    later.append(result.retry_after_s or 0.0)
        if later:
            # Whatever is left goes back to the queue; pairs already sent stay sent.
            raise RetryRequested(delay=timedelta(seconds=max(later)),
                                 reason=f"{len(later)} push(es) deferred")

    async def _send(
        self, config: PushConfig, target: Any, body: bytes, policy: notification.PushPolicy,
        session: requests.Session,
    ) -> PushResult:
        result = PushResult(None)
        for attempt in range(ATTEMPTS_IN_JOB):
            result = await asyncio.to_thread(
                post_notification, config, target, body, policy.ttl_s, policy.urgency, session
            )
            if not result.transient or attempt == ATTEMPTS_IN_JOB - 1:
                return result
            wait = result.retry_after_s
            if wait is None:
                wait = config.backoff_s * (2 ** attempt)
            if wait > RETRY_AFTER_CAP_S:
                return result
            log.info("push to %s answered %s; again in %.1f s", target["id"], result.status, wait)
            await self.sleep(wait)
        return result

    async def _record(self, message: Notification, target: Any, result: PushResult) -> str:
        if result.status is not None and 200 <= result.status < 300:
            status = "sent"
        elif result.status in (404, 410):
            status = "gone"
        elif result.transient:
            status = "retry"
        else:
            status = "failed"
            log.warning("push to %s refused: %s %s", target["id"], result.status, result.detail)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.finish(conn, message.id, target["id"], status, result.status,
                              result.detail or None)
            if status == "gone" and await repo.delete_gone(conn, target["id"]) is not None:
                # The browser unsubscribed or the subscription expired (RFC 8030 §7.3).
                await audit.append(
                    conn, actor_id=None, action="push.subscription_gone",
                    object_type="push_subscription", object_id=target["id"],
                    payload={"user_id": target["user_id"], "status": result.status},
                )
        return status


def push_executor(params: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
    return DatabaseRetryEntrypointExecutor(
        parameters=params, max_attempts=8, initial_delay=timedelta(seconds=30),
        max_delay=timedelta(minutes=30),
    )


def register(qm: QueueManager, pool: asyncpg.Pool, concurrency: int = 4) -> PushDelivery:
    """Add the `deliver_push` entrypoint to a worker's queue manager."""
    delivery = PushDelivery(pool)
    qm.entrypoint(
        DELIVER_PUSH, concurrency_limit=concurrency, on_failure="delete",
        executor_factory=push_executor,
    )(delivery)
    return delivery
