"""Alerts are records first (an inbox per user); push delivery is queued with them and runs
after the commit (backend/push/delivery.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from backend.jobs import DeliverPush, enqueue_push
from contract.report import ParamValue

INSERT_ALERT = """
INSERT INTO alerts (kind, post_code, object_type, object_id, title, body, link, dedupe_key, code,
                    params)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""

# Recipients: active heads of the post; auditors too where the rule says so.
ADD_RECIPIENTS = """
INSERT INTO alert_recipients (alert_id, user_id)
SELECT $1, id FROM users
WHERE active AND ((role = 'post_head' AND post_code = $2) OR ($3 AND role = 'auditor'))
ON CONFLICT DO NOTHING
"""

HAS_SUBSCRIBERS = """
SELECT EXISTS (SELECT 1 FROM alert_recipients r JOIN push_subscriptions s ON s.user_id = r.user_id
               WHERE r.alert_id = $1)
"""


async def raise_alert(
    conn: asyncpg.Connection,
    *,
    kind: str,
    post_code: str | None,
    object_type: str,
    object_id: str,
    title: str,
    body: str,
    dedupe_key: str,
    link: str | None = None,
    auditors: bool = False,
    code: str | None = None,
    params: dict[str, ParamValue] | None = None,
) -> str | None:
    """Record an alert once per `dedupe_key`; returns its id, or None if it already existed.

    `code` (default: the kind) and `params` are what screens render in the reader's language
    (i18n key `alert.<code>`); `title` and `body` are the fallback text for push and logs.

    A new alert whose recipients have push subscriptions queues one `deliver_push` job in the
    caller's transaction: the push goes out after the commit, from a worker, never twice.
    """
    alert_id = await conn.fetchval(
        INSERT_ALERT, kind, post_code, object_type, object_id, title, body, link, dedupe_key,
        code or kind, dict(params or {}),
    )
    if alert_id is None:
        return None
    await conn.execute(ADD_RECIPIENTS, alert_id, post_code, auditors)
    if await conn.fetchval(HAS_SUBSCRIBERS, alert_id):
        await enqueue_push(conn, DeliverPush(alert_id=str(alert_id)))
    return str(alert_id)


class AlertOut(msgspec.Struct, frozen=True):
    id: str
    kind: str
    post_code: str | None
    object_type: str
    object_id: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    code: str
    params: dict[str, Any]


INBOX = """
SELECT a.id, a.kind, a.post_code, a.object_type, a.object_id, a.title, a.body, a.link,
       a.created_at, r.read_at, coalesce(a.code, a.kind) AS code, a.params
FROM alert_recipients r JOIN alerts a ON a.id = r.alert_id
WHERE r.user_id = $1 AND (NOT $2 OR r.read_at IS NULL)
ORDER BY a.created_at DESC
LIMIT $3
"""


async def inbox(
    conn: asyncpg.Connection, user_id: str, unread_only: bool, limit: int = 200
) -> list[AlertOut]:
    rows = await conn.fetch(INBOX, user_id, unread_only, limit)
    return [AlertOut(**dict(r)) for r in rows]


MARK_READ = """
UPDATE alert_recipients SET read_at = coalesce(read_at, now())
WHERE alert_id = $1 AND user_id = $2
RETURNING read_at
"""


async def mark_read(conn: asyncpg.Connection, alert_id: str, user_id: str) -> datetime | None:
    return await conn.fetchval(MARK_READ, alert_id, user_id)
