"""Login, logout and session revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth import repo, throttle
from backend.auth.actor import Actor
from backend.auth.passwords import hash_password_async, verify_password_async
from backend.auth.tokens import new_token, token_digest
from backend.errors import (
    InvalidCredentials,
    InvalidRequest,
    NotFound,
    PasswordTooShort,
    WrongCurrentPassword,
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
# While a one-time password is in use, only these answer; everything else is 403
# `password_change_required` (the bearer middleware asks `password_change_allows`).
PASSWORD_CHANGE_PATHS = frozenset({"/api/auth/password", "/api/auth/logout"})


def password_change_allows(path: str) -> bool:
    return path.rstrip("/") in PASSWORD_CHANGE_PATHS


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters",
            min_length=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidRequest(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


class PasswordChanged(msgspec.Struct, frozen=True):
    revoked_sessions: int


class UserOut(msgspec.Struct, frozen=True):
    id: str
    name: str
    role: str
    post_id: str | None
    login: str
    must_change_password: bool = False


class LoginResult(msgspec.Struct, frozen=True):
    token: str
    user: UserOut
    expires_at: datetime


async def login(
    pool: asyncpg.Pool, pepper: str, ttl_s: int, login_name: str, password: str,
    caller: throttle.Caller | None = None,
) -> LoginResult:
    caller = caller or throttle.Caller(address="unknown", user_agent="")
    async with pool.acquire() as conn:
        user = await repo.user_by_login(conn, login_name)
        attempt = await throttle.begin(conn, login_name, caller, user["id"] if user else None)
    ok = await verify_password_async(user["password_hash"] if user else None, password)
    if not ok or user is None or not user["active"]:
        reason = "unknown_login" if user is None else "wrong_password" if not ok else "inactive"
        async with pool.acquire() as conn:
            await throttle.failed(conn, attempt, login_name, caller,
                                  user["id"] if user else None, reason)
        raise InvalidCredentials()
    token = new_token()
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_s)
    async with pool.acquire() as conn, conn.transaction():
        await throttle.succeeded(conn, attempt, login_name)
        session_id = await repo.create_session(conn, user["id"], token_digest(pepper, token), expires_at)
        await audit.append(
            conn, actor_id=user["id"], action="auth.login", object_type="session",
            object_id=session_id, payload={"user_id": user["id"], "address": caller.address},
        )
    return LoginResult(
        token=token,
        expires_at=expires_at,
        user=UserOut(
            id=user["id"], name=user["name"], role=user["role"], post_id=user["post_code"],
            login=user["login"], must_change_password=user["must_change_password"],
        ),
    )


async def authenticate(pool: asyncpg.Pool, pepper: str, token: str) -> Actor | None:
    row = await repo.actor_by_token(pool, token_digest(pepper, token))
    if row is None:
        return None
    return Actor(
        id=row["id"], login=row["login"], name=row["name"], role=row["role"],
        post_code=row["post_code"], session_id=row["session_id"],
        must_change_password=row["must_change_password"],
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
        if not await repo.user_exists(conn, user_id):
            raise NotFound(f"user {user_id} not found")
        count = await repo.revoke_user_sessions(conn, user_id)
        await audit.append(
            conn, actor_id=actor.id, action="auth.sessions_revoked", object_type="user",
            object_id=user_id, payload={"revoked": count},
        )
    return count


async def change_password(
    pool: asyncpg.Pool, actor: Actor, current: str, new: str, caller: throttle.Caller
) -> PasswordChanged:
    """One's own password: the current one proves it is the user (it counts as a login
    attempt, so a stolen session cannot guess it); every other session is ended."""
    check_new_password(new)
    if new == current:
        raise InvalidRequest("the new password must differ from the current one")
    async with pool.acquire() as conn:
        attempt = await throttle.begin(conn, actor.login, caller, actor.id)
        stored = await repo.password_hash(conn, actor.id)
    if not await verify_password_async(stored, current):
        async with pool.acquire() as conn:
            await throttle.failed(conn, attempt, actor.login, caller, actor.id,
                                  "wrong_current_password")
        raise WrongCurrentPassword()
    new_hash = await hash_password_async(new)
    async with pool.acquire() as conn, conn.transaction():
        await throttle.succeeded(conn, attempt, actor.login)
        await repo.set_password(conn, actor.id, new_hash, must_change=False)
        revoked = await repo.revoke_other_sessions(conn, actor.id, actor.session_id)
        await audit.append(
            conn, actor_id=actor.id, action="auth.password_changed", object_type="user",
            object_id=actor.id, payload={"revoked_sessions": revoked,
                                         "was_one_time": actor.must_change_password},
        )
    return PasswordChanged(revoked_sessions=revoked)
