"""Users as the administration sees them: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.auth.throttle import PER_LOGIN, WINDOW_S
from backend.users.schemas import UserOut

COLUMNS = """u.id, u.login, u.name, u.role, u.post_code, u.active, u.on_shift,
u.must_change_password, u.created_at,
(SELECT count(*) FROM login_attempts a
 WHERE a.login = u.login AND a.outcome <> 'ok' AND a.cleared_at IS NULL
   AND a.at > now() - make_interval(secs => $1)) >= $2 AS locked"""


def _out(row: Any) -> UserOut:
    return msgspec.convert(dict(row), UserOut)


LIST_USERS = f"""
SELECT {COLUMNS} FROM users u
WHERE ($3::text IS NULL OR u.post_code = $3) AND ($4::text IS NULL OR u.role = $4)
ORDER BY u.post_code NULLS FIRST, u.role, u.login
"""


async def list_users(conn: asyncpg.Connection, post_code: str | None,
                     role: str | None) -> list[UserOut]:
    rows = await conn.fetch(LIST_USERS, float(WINDOW_S), PER_LOGIN, post_code, role)
    return [_out(r) for r in rows]


USER_BY_ID = f"SELECT {COLUMNS} FROM users u WHERE u.id = $3"


async def user_by_id(conn: asyncpg.Connection, user_id: str, *,
                     for_update: bool = False) -> UserOut | None:
    sql = USER_BY_ID + (" FOR UPDATE OF u" if for_update else "")
    row = await conn.fetchrow(sql, float(WINDOW_S), PER_LOGIN, user_id)
    return _out(row) if row else None


INSERT_USER = """
INSERT INTO users (login, name, role, post_code, password_hash, must_change_password, on_shift)
VALUES ($1, $2, $3, $4, $5, $6, false)
ON CONFLICT (login) DO NOTHING
RETURNING id
"""


async def insert_user(conn: asyncpg.Connection, login: str, name: str, role: str,
                      post_code: str | None, pw_hash: str, must_change: bool = True) -> str | None:
    return await conn.fetchval(INSERT_USER, login, name, role, post_code, pw_hash, must_change)


UPDATE_USER = """
UPDATE users SET name = $2, role = $3, post_code = $4, active = $5, on_shift = $6 WHERE id = $1
"""


async def update_user(conn: asyncpg.Connection, user_id: str, *, name: str, role: str,
                      post_code: str | None, active: bool, on_shift: bool) -> None:
    await conn.execute(UPDATE_USER, user_id, name, role, post_code, active, on_shift)


async def post_exists(conn: asyncpg.Connection, code: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM posts WHERE code = $1)", code))


async def login_of(conn: asyncpg.Connection, user_id: str) -> str | None:
    return await conn.fetchval("SELECT login FROM users WHERE id = $1", user_id)
