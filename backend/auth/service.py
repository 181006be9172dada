"""Login, logout and session revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth import repo
from backend.auth.actor import Actor
from backend.auth.passwords import verify_password_async
from backend.auth.tokens import new_token, token_digest
from backend.errors import InvalidCredentials, NotFound


class UserOut(msgspec.Struct, frozen=True):
    id: str
    name: str
    role: str
    post_id: str | None
    login: str


class LoginResult(msgspec.Struct, frozen=True):
    token: str
    user: UserOut
    expires_at: datetime


async def login(
    pool: asyncpg.Pool, pepper: str, ttl_s: int, login_name: str, password: str
) -> LoginResult:
    async with pool.acquire() as conn:
        user = await repo.user_by_login(conn, login_name)
    ok = await verify_password_async(user["password_hash"] if user else None, password)
    if not ok or user is None or not user["active"]:
        raise InvalidCredentials()
    token = new_token()
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_s)
    async with pool.acquire() as conn, conn.transaction():
        session_id = await repo.create_session(conn, user["id"], token_digest(pepper, token), expires_at)
        await audit.append(
            conn, actor_id=user["id"], action="auth.login", object_type="session",
            object_id=session_id, payload={"user_id": user["id"]},
        )
    return LoginResult(
        token=token,
        expires_at=expires_at,
        user=UserOut(
            id=user["id"], name=user["name"], role=user["role"], post_id=user["post_code"],
            login=user["login"],
        ),
    )


async def authenticate(pool: asyncpg.Pool, pepper: str, token: str) -> Actor | None:
    row = await repo.actor_by_token(pool, token_digest(pepper, token))
    if row is None:
        return None
    return Actor(
        id=row["id"], login=row["login"], name=row["name"], role=row["role"],
        post_code=row["post_code"], session_id=row["session_id"],
    )


async def logout(conn: asyncpg.Connection, actor: Actor) -> None:
    async with conn.transaction():
        await repo.revoke_session(conn, actor.session_id)
        await audit.append(
            conn, actor_id=actor.id, action="auth.logout", object_type="session",
            object_id=actor.session_id, payload={},
        )


async def revoke_all_sessions(conn: asyncpg.Connection, actor: Actor, user_id: str) -> int:
    async with conn.transaction():
        exists = await conn.fetchval("SELECT 1 FROM users WHERE id = $1", user_id)
        if not exists:
            raise NotFound(f"user {user_id} not found")
        count = await repo.revoke_user_sessions(conn, user_id)
        await audit.append(
            conn, actor_id=actor.id, action="auth.sessions_revoked", object_type="user",
            object_id=user_id, payload={"revoked": count},
        )
    return count
