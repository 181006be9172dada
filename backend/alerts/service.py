"""Alerts are records first (an inbox per user); push delivery is queued with them and runs
after the commit (backend/push/delivery.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from backend.alerts import repo
from backend.jobs import DeliverPush, enqueue_push
from contract.report import ParamValue


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
    alert_id = await repo.insert_alert(
        conn, kind=kind, post_code=post_code, object_type=object_type, object_id=object_id,
        title=title, body=body, link=link, dedupe_key=dedupe_key, code=code or kind,
        params=dict(params or {}),
    )
    if alert_id is None:
        return None
    await repo.add_recipients(conn, alert_id, post_code, auditors)
    if await repo.has_subscribers(conn, alert_id):
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


async def inbox(
    conn: asyncpg.Connection, user_id: str, unread_only: bool, limit: int = 200
) -> list[AlertOut]:
    rows = await repo.inbox(conn, user_id, unread_only, limit)
    return [AlertOut(**dict(r)) for r in rows]


async def mark_read(conn: asyncpg.Connection, alert_id: str, user_id: str) -> datetime | None:
    return await repo.mark_read(conn, alert_id, user_id)
