"""Users and sessions: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

USER_BY_LOGIN = """
SELECT id, login, name, role, post_code, password_hash, active, must_change_password
FROM users WHERE login = $1
"""


async def user_by_login(conn: asyncpg.Connection, login: str) -> Any:
    return await conn.fetchrow(USER_BY_LOGIN, login)


CREATE_SESSION = """
INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3) RETURNING id
"""


async def create_session(
    conn: asyncpg.Connection, user_id: str, token_hash: bytes, expires_at: datetime
) -> str:
    return str(await conn.fetchval(CREATE_SESSION, user_id, token_hash, expires_at))


ACTOR_BY_TOKEN = """
SELECT u.id, u.login, u.name, u.role, u.post_code, u.must_change_password, s.id AS session_id
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active
"""


async def actor_by_token(conn: asyncpg.Connection | asyncpg.Pool, token_hash: bytes) -> Any:
    return await conn.fetchrow(ACTOR_BY_TOKEN, token_hash)


REVOKE_SESSION = "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"


async def revoke_session(conn: asyncpg.Connection, session_id: str) -> None:
    await conn.execute(REVOKE_SESSION, session_id)


REVOKE_USER_SESSIONS = """
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""


async def revoke_user_sessions(conn: asyncpg.Connection, user_id: str) -> int:
    status = await conn.execute(REVOKE_USER_SESSIONS, user_id)
    return int(status.split()[-1])


REVOKE_OTHER_SESSIONS = """
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
"""


async def revoke_other_sessions(conn: asyncpg.Connection, user_id: str, keep_session: str) -> int:
    status = await conn.execute(REVOKE_OTHER_SESSIONS, user_id, keep_session)
    return int(status.split()[-1])


PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = $1"


async def password_hash(conn: asyncpg.Connection, user_id: str) -> str | None:
    return await conn.fetchval(PASSWORD_HASH, user_id)


SET_PASSWORD = """
UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1
"""


async def set_password(
    conn: asyncpg.Connection, user_id: str, pw_hash: str, must_change: bool
) -> None:
    await conn.execute(SET_PASSWORD, user_id, pw_hash, must_change)


USER_EXISTS = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)"


async def user_exists(conn: asyncpg.Connection, user_id: str) -> bool:
    return bool(await conn.fetchval(USER_EXISTS, user_id))
