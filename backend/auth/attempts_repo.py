"""Login attempts (SQL only): the throttle's state, in PostgreSQL so every replica shares it."""

from __future__ import annotations

import asyncpg

# Attempts on one login and from one address are serialised while they are counted, so
# concurrent guesses cannot all slip under the limit. Two keys, always taken in this order.
LOCK = "SELECT pg_advisory_xact_lock(hashtext('dosmotr.login:' || $1)), " \
       "pg_advisory_xact_lock(hashtext('dosmotr.address:' || $2))"


async def lock(conn: asyncpg.Connection, login: str, address: str) -> None:
    await conn.execute(LOCK, login, address)


# Seconds until the window frees, if `limit` or more counted attempts fall inside it: the
# limit-th newest attempt is the one whose expiry brings the count back under the limit.
LOGIN_BLOCKED_FOR = """
SELECT greatest(1, ceil(extract(epoch FROM at + make_interval(secs => $3) - now())))::int
FROM login_attempts
WHERE login = $1 AND outcome <> 'ok' AND cleared_at IS NULL
  AND at > now() - make_interval(secs => $3)
ORDER BY at DESC OFFSET $2 - 1 LIMIT 1
"""

ADDRESS_BLOCKED_FOR = """
SELECT greatest(1, ceil(extract(epoch FROM at + make_interval(secs => $3) - now())))::int
FROM login_attempts
WHERE address = $1 AND outcome <> 'ok' AND at > now() - make_interval(secs => $3)
ORDER BY at DESC OFFSET $2 - 1 LIMIT 1
"""


async def login_blocked_for(
    conn: asyncpg.Connection, login: str, limit: int, window_s: int
) -> int | None:
    return await conn.fetchval(LOGIN_BLOCKED_FOR, login, limit, float(window_s))


async def address_blocked_for(
    conn: asyncpg.Connection, address: str, limit: int, window_s: int
) -> int | None:
    return await conn.fetchval(ADDRESS_BLOCKED_FOR, address, limit, float(window_s))


INSERT_ATTEMPT = "INSERT INTO login_attempts (login, address) VALUES ($1, $2) RETURNING id"


async def insert_attempt(conn: asyncpg.Connection, login: str, address: str) -> int:
    return int(await conn.fetchval(INSERT_ATTEMPT, login, address))


SETTLE = "UPDATE login_attempts SET outcome = $2 WHERE id = $1"


async def settle(conn: asyncpg.Connection, attempt_id: int, outcome: str) -> None:
    await conn.execute(SETTLE, attempt_id, outcome)


CLEAR_LOGIN = """
UPDATE login_attempts SET cleared_at = now()
WHERE login = $1 AND outcome <> 'ok' AND cleared_at IS NULL
"""


async def clear_login(conn: asyncpg.Connection, login: str) -> int:
    status = await conn.execute(CLEAR_LOGIN, login)
    return int(status.split()[-1])
