"""Push subscriptions and deliveries: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from backend.push.schemas import SubscriptionOut

SUBSCRIPTION_COLUMNS = "id, endpoint, expiration_time, user_agent, created_at, last_sent_at"


def to_out(r: Any) -> SubscriptionOut:
    return SubscriptionOut(**{k: r[k] for k in SubscriptionOut.__struct_fields__})


COUNT_FOR_USER = "SELECT count(*) FROM push_subscriptions WHERE user_id = $1"


async def count_for_user(conn: asyncpg.Connection, user_id: str) -> int:
    return int(await conn.fetchval(COUNT_FOR_USER, user_id))


# The endpoint names one browser profile; whoever subscribes it last owns it (a shared tablet
# changes hands at shift change). `created` tells a new row (or a new owner) from a refresh.
UPSERT_SUBSCRIPTION = f"""
INSERT INTO push_subscriptions AS s (user_id, endpoint, p256dh, auth, expiration_time, user_agent)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (endpoint) DO UPDATE
SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
    expiration_time = EXCLUDED.expiration_time, user_agent = EXCLUDED.user_agent,
    updated_at = now()
RETURNING {SUBSCRIPTION_COLUMNS}, (xmax = 0) AS inserted,
          (SELECT user_id FROM push_subscriptions WHERE endpoint = $2) AS previous_user
"""


async def upsert(
    conn: asyncpg.Connection, user_id: str, endpoint: str, p256dh: str, auth: str,
    expiration_time: datetime | None, user_agent: str | None,
) -> tuple[SubscriptionOut, bool, str | None]:
    """(subscription, inserted, previous owner: None when new)."""
    row = await conn.fetchrow(
        UPSERT_SUBSCRIPTION, user_id, endpoint, p256dh, auth, expiration_time, user_agent
    )
    return to_out(row), bool(row["inserted"]), row["previous_user"]


LIST_FOR_USER = f"""
SELECT {SUBSCRIPTION_COLUMNS} FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at
"""


async def list_for_user(conn: asyncpg.Connection, user_id: str) -> list[SubscriptionOut]:
    return [to_out(r) for r in await conn.fetch(LIST_FOR_USER, user_id)]


DELETE_OWN = "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2 RETURNING endpoint"


async def delete_own(conn: asyncpg.Connection, subscription_id: str, user_id: str) -> str | None:
    return await conn.fetchval(DELETE_OWN, subscription_id, user_id)


DELETE_GONE = "DELETE FROM push_subscriptions WHERE id = $1 RETURNING user_id, endpoint"


async def delete_gone(conn: asyncpg.Connection, subscription_id: str) -> Any:
    return await conn.fetchrow(DELETE_GONE, subscription_id)


# --- delivery --------------------------------------------------------------------------------

ALERT = "SELECT id, kind, title, body, link FROM alerts WHERE id = $1"


async def alert(conn: asyncpg.Connection, alert_id: str) -> Any:
    return await conn.fetchrow(ALERT, alert_id)


TARGET_COLUMNS = "s.id, s.user_id, s.endpoint, s.p256dh, s.auth"

ALERT_TARGETS = f"""
SELECT {TARGET_COLUMNS}
FROM alert_recipients r
JOIN push_subscriptions s ON s.user_id = r.user_id
JOIN users u ON u.id = r.user_id
WHERE r.alert_id = $1 AND u.active
  AND (s.expiration_time IS NULL OR s.expiration_time > now())
ORDER BY s.id
"""

USER_TARGETS = f"""
SELECT {TARGET_COLUMNS}
FROM push_subscriptions s JOIN users u ON u.id = s.user_id
WHERE s.user_id = $1 AND u.active AND (s.expiration_time IS NULL OR s.expiration_time > now())
ORDER BY s.id
"""


async def alert_targets(conn: asyncpg.Connection, alert_id: str) -> list[Any]:
    return list(await conn.fetch(ALERT_TARGETS, alert_id))


async def user_targets(conn: asyncpg.Connection, user_id: str) -> list[Any]:
    return list(await conn.fetch(USER_TARGETS, user_id))


# Claim a (notification, subscription) pair for sending. A pair already sent, gone or failed
# is never claimed again; one left 'sending' by a worker that died is reclaimed after a lease.
CLAIM = """
INSERT INTO push_deliveries AS d (notification_id, subscription_id, alert_id, status)
VALUES ($1, $2, $3, 'sending')
ON CONFLICT (notification_id, subscription_id) DO UPDATE
SET status = 'sending', attempts = d.attempts + 1, claimed_at = now()
WHERE d.status = 'retry'
   OR (d.status = 'sending' AND d.claimed_at < now() - make_interval(secs => $4))
RETURNING attempts
"""


async def claim(
    conn: asyncpg.Connection, notification_id: str, subscription_id: str, alert_id: str | None,
    lease_s: float,
) -> bool:
    return await conn.fetchval(CLAIM, notification_id, subscription_id, alert_id, lease_s) is not None


FINISH = """
UPDATE push_deliveries
SET status = $3, last_status = $4, detail = $5,
    finished_at = CASE WHEN $3 = 'retry' THEN NULL ELSE now() END
WHERE notification_id = $1 AND subscription_id = $2
"""

MARK_SENT = "UPDATE push_subscriptions SET last_sent_at = now() WHERE id = $1"


async def finish(
    conn: asyncpg.Connection, notification_id: str, subscription_id: str, status: str,
    http_status: int | None, detail: str | None,
) -> None:
    await conn.execute(FINISH, notification_id, subscription_id, status, http_status, detail)
    if status == "sent":
        await conn.execute(MARK_SENT, subscription_id)
