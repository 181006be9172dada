"""Push subscription rules: who subscribes what, and the test notification (through the queue)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import InvalidSubscriptionKeys, NotFound, TooManySubscriptions
from backend.jobs import DeliverPush, enqueue_push
from backend.push import repo
from backend.push.hosts import check_endpoint
from backend.push.schemas import (
    SubscriptionIn,
    SubscriptionOut,
    TestQueued,
)
from backend.push.vapid import b64url_decode

MAX_PER_USER = 20


def _check_keys(data: SubscriptionIn) -> None:
    """RFC 8291: p256dh is an uncompressed P-256 point, auth a 16-byte secret."""
    try:
        point, secret = b64url_decode(data.keys.p256dh), b64url_decode(data.keys.auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise InvalidSubscriptionKeys("keys.p256dh is not an uncompressed P-256 point",
                                      field="keys.p256dh") from exc
    if len(point) != 65 or point[0] != 4:
        raise InvalidSubscriptionKeys("keys.p256dh is not an uncompressed P-256 point",
                                      field="keys.p256dh")
    if len(secret) != 16:
        raise InvalidSubscriptionKeys("keys.auth is a 16-byte secret", field="keys.auth")


async def subscribe(
    conn: asyncpg.Connection, actor: Actor, data: SubscriptionIn, push_hosts: tuple[str, ...],
    user_agent: str | None,
) -> tuple[SubscriptionOut, bool]:
    """Store the browser's subscription for the caller; (subscription, created for them)."""
    check_endpoint(data.endpoint, push_hosts)
    _check_keys(data)
    expires = (
        datetime.fromtimestamp(data.expiration_time / 1000, UTC)
        if data.expiration_time is not None else None
    )
    async with conn.transaction():
        if await repo.count_for_user(conn, actor.id) >= MAX_PER_USER:
            # A refresh of one of the user's own endpoints is not a new subscription.
            owned = {s.endpoint for s in await repo.list_for_user(conn, actor.id)}
            if data.endpoint not in owned:
                raise TooManySubscriptions(
                    f"at most {MAX_PER_USER} subscriptions per user; delete stale ones first"
                )
        sub, inserted, previous = await repo.upsert(
            conn, actor.id, data.endpoint, data.keys.p256dh, data.keys.auth, expires,
            (user_agent or "")[:300] or None,
        )
        created = inserted or previous != actor.id
        if created:
            await audit.append(
                conn, actor_id=actor.id, action="push.subscribed", object_type="push_subscription",
                object_id=sub.id,
                payload={"user_id": actor.id, "host": urlsplit(data.endpoint).hostname,
                         "previous_user_id": None if inserted else previous},
            )
    return sub, created


async def unsubscribe(conn: asyncpg.Connection, actor: Actor, subscription_id: str) -> None:
    async with conn.transaction():
        endpoint = await repo.delete_own(conn, subscription_id, actor.id)
        if endpoint is None:
            raise NotFound(f"subscription {subscription_id} not found")
        await audit.append(
            conn, actor_id=actor.id, action="push.unsubscribed", object_type="push_subscription",
            object_id=subscription_id, payload={"host": urlsplit(endpoint).hostname},
        )


async def list_own(conn: asyncpg.Connection, actor: Actor) -> list[SubscriptionOut]:
    return await repo.list_for_user(conn, actor.id)


async def send_test(conn: asyncpg.Connection, actor: Actor) -> TestQueued:
    """Queue a test notification to the caller's own subscriptions (never sent in-request)."""
    test_id = "test:" + uuid.uuid4().hex
    async with conn.transaction():
        count = await repo.count_for_user(conn, actor.id)
        if count:
            await enqueue_push(conn, DeliverPush(test_id=test_id, user_id=actor.id))
    return TestQueued(notification_id=test_id, subscriptions=count)
