"""Alerts, their recipients and inboxes: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

INSERT_ALERT = """
INSERT INTO alerts (kind, post_code, object_type, object_id, title, body, link, dedupe_key, code,
                    params)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""


async def insert_alert(
    conn: asyncpg.Connection, *, kind: str, post_code: str | None, object_type: str,
    object_id: str, title: str, body: str, link: str | None, dedupe_key: str, code: str,
    params: dict[str, Any],
) -> Any:
    """The new alert's id, or None when one with this `dedupe_key` already exists."""
    return await conn.fetchval(
        INSERT_ALERT, kind, post_code, object_type, object_id, title, body, link, dedupe_key,
        code, params,
    )


# Recipients: active heads of the post; auditors too where the rule says so.
ADD_RECIPIENTS = """
INSERT INTO alert_recipients (alert_id, user_id)
SELECT $1, id FROM users
WHERE active AND ((role = 'post_head' AND post_code = $2) OR ($3 AND role = 'auditor'))
ON CONFLICT DO NOTHING
"""


async def add_recipients(
    conn: asyncpg.Connection, alert_id: Any, post_code: str | None, auditors: bool
) -> None:
    await conn.execute(ADD_RECIPIENTS, alert_id, post_code, auditors)


HAS_SUBSCRIBERS = """
SELECT EXISTS (SELECT 1 FROM alert_recipients r JOIN push_subscriptions s ON s.user_id = r.user_id
               WHERE r.alert_id = $1)
"""


async def has_subscribers(conn: asyncpg.Connection, alert_id: Any) -> bool:
    return bool(await conn.fetchval(HAS_SUBSCRIBERS, alert_id))


INBOX = """
SELECT a.id, a.kind, a.post_code, a.object_type, a.object_id, a.title, a.body, a.link,
       a.created_at, r.read_at, coalesce(a.code, a.kind) AS code, a.params
FROM alert_recipients r JOIN alerts a ON a.id = r.alert_id
WHERE r.user_id = $1 AND (NOT $2 OR r.read_at IS NULL)
ORDER BY a.created_at DESC
LIMIT $3
"""


async def inbox(
    conn: asyncpg.Connection, user_id: str, unread_only: bool, limit: int
) -> list[Any]:
    return list(await conn.fetch(INBOX, user_id, unread_only, limit))


MARK_READ = """
UPDATE alert_recipients SET read_at = coalesce(read_at, now())
WHERE alert_id = $1 AND user_id = $2
RETURNING read_at
"""


async def mark_read(conn: asyncpg.Connection, alert_id: str, user_id: str) -> datetime | None:
    return await conn.fetchval(MARK_READ, alert_id, user_id)
