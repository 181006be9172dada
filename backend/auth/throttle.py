"""Login protection: 5 failed attempts on one login or 20 from one address in 15 minutes.

Past either limit every attempt is refused with 429 `too_many_attempts`, the right password
included, until the window frees. Every failure (refused ones too) is an audit event that
names the login tried, the address and the user agent, never the password.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from backend.audit import repo as audit
from backend.auth import attempts_repo as repo
from backend.errors import TooManyAttempts

WINDOW_S = 15 * 60
PER_LOGIN = 5
PER_ADDRESS = 20
MAX_USER_AGENT = 400


@dataclass(frozen=True)
class Caller:
    """Who is trying: the address the request came from and its user agent."""

    address: str
    user_agent: str


async def begin(conn: asyncpg.Connection, login: str, caller: Caller,
                user_id: str | None) -> int:
    """Count an attempt before its password is checked; raises TooManyAttempts past a limit."""
    async with conn.transaction():
        await repo.lock(conn, login, caller.address)
        retry = await repo.login_blocked_for(conn, login, PER_LOGIN, WINDOW_S)
        address_retry = await repo.address_blocked_for(conn, caller.address, PER_ADDRESS, WINDOW_S)
        if retry is None and address_retry is None:
            return await repo.insert_attempt(conn, login, caller.address)
        wait = max(retry or 0, address_retry or 0)
        await record_failure(conn, login, caller, user_id, "too_many_attempts")
    raise TooManyAttempts(
        f"too many failed attempts; try again in {wait} s", retry_after=wait,
    )


async def record_failure(conn: asyncpg.Connection, login: str, caller: Caller,
                         user_id: str | None, reason: str) -> None:
    """The audit event of a failed login (inside the caller's transaction)."""
    await audit.append(
        conn, actor_id=None, action="auth.login_failed",
        object_type="user" if user_id else "login", object_id=user_id or login,
        payload={"login": login, "address": caller.address,
                 "user_agent": caller.user_agent[:MAX_USER_AGENT], "reason": reason},
    )


async def failed(conn: asyncpg.Connection, attempt_id: int, login: str, caller: Caller,
                 user_id: str | None, reason: str) -> None:
    async with conn.transaction():
        await repo.settle(conn, attempt_id, "failed")
        await record_failure(conn, login, caller, user_id, reason)


async def succeeded(conn: asyncpg.Connection, attempt_id: int, login: str) -> None:
    """In the caller's transaction: the right password releases the login's own count."""
    await repo.settle(conn, attempt_id, "ok")
    await repo.clear_login(conn, login)


async def unlock(conn: asyncpg.Connection, login: str) -> int:
    return await repo.clear_login(conn, login)
