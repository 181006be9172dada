"""User administration: accounts, roles and posts, one-time passwords, unlocks. All audited."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth import repo as auth_repo
from backend.auth import throttle
from backend.auth.actor import CROSS_POST_ROLES, Actor
from backend.auth.passwords import hash_password_async
from backend.auth.service import check_new_password
from backend.errors import AlreadyExists, InvalidUser, NotFound
from backend.users import repo
from backend.users.schemas import UnlockedOut, UserCreateIn, UserOut, UserPatchIn, UserWithPassword

# 16 characters from an alphabet without look-alikes (0/O, 1/l/I): read off a screen and typed.
OTP_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789"
OTP_LENGTH = 16


def one_time_password() -> str:
    return "".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH))


async def _check_role_post(conn: asyncpg.Connection, role: str, post_code: str | None) -> None:
    if role in CROSS_POST_ROLES:
        if post_code is not None:
            raise InvalidUser(f"a user with role {role} belongs to no post: send post_code null",
                              field="post_code")
        return
    if post_code is None:
        raise InvalidUser(f"a user with role {role} belongs to one post: name its post_code",
                          field="post_code")
    if not await repo.post_exists(conn, post_code):
        raise InvalidUser(f"post {post_code} does not exist", field="post_code")


async def list_users(conn: asyncpg.Connection, post_code: str | None,
                     role: str | None) -> list[UserOut]:
    return await repo.list_users(conn, post_code, role)


async def get_user(conn: asyncpg.Connection, user_id: str) -> UserOut:
    user = await repo.user_by_id(conn, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


async def create_user(conn: asyncpg.Connection, actor: Actor | None, data: UserCreateIn,
                      password: str | None = None) -> UserWithPassword:
    """A new account with a one-time password it must change at first login.

    The command line creates a production install's first admin: no `actor`, and a
    `password` the operator typed (the returned one_time_password is then empty)."""
    post_code = data.post_code.strip().upper() if data.post_code else None
    await _check_role_post(conn, data.role, post_code)
    if password is not None:
        check_new_password(password)
    otp = "" if password is not None else one_time_password()
    pw_hash = await hash_password_async(password if password is not None else otp)
    async with conn.transaction():
        user_id = await repo.insert_user(conn, data.login, data.name.strip(), data.role,
                                         post_code, pw_hash, must_change=password is None)
        if user_id is None:
            raise AlreadyExists(f"login {data.login} is taken", field="login")
        await audit.append(
            conn, actor_id=actor.id if actor else None, action="user.created",
            object_type="user", object_id=user_id,
            payload={"login": data.login, "role": data.role, "post_code": post_code,
                     "via": "api" if actor else "cli"},
            post_code=post_code,
        )
        user = await repo.user_by_id(conn, user_id)
    assert user is not None
    return UserWithPassword(user=user, one_time_password=otp)


async def update_user(conn: asyncpg.Connection, actor: Actor, user_id: str,
                      data: UserPatchIn) -> UserOut:
    async with conn.transaction():
        before = await repo.user_by_id(conn, user_id, for_update=True)
        if before is None:
            raise NotFound(f"user {user_id} not found")
        name = before.name if data.name is msgspec.UNSET else data.name.strip()
        role = before.role if data.role is msgspec.UNSET else data.role
        post_code = before.post_code if data.post_code is msgspec.UNSET else (
            data.post_code.strip().upper() if data.post_code else None)
        active = before.active if data.active is msgspec.UNSET else data.active
        if user_id == actor.id and (role != before.role or not active):
            raise InvalidUser("an admin may not demote or deactivate their own account")
        await _check_role_post(conn, role, post_code)
        after = {"name": name, "role": role, "post_code": post_code, "active": active}
        changes: dict[str, Any] = {
            k: [getattr(before, k), v] for k, v in after.items() if getattr(before, k) != v
        }
        if not changes:
            return before
        # A move to another post or role starts off shift: that post's head puts them on it.
        on_shift = before.on_shift and role == before.role and post_code == before.post_code
        await repo.update_user(conn, user_id, name=name, role=role, post_code=post_code,
                               active=active, on_shift=on_shift)
        revoked = 0
        if not active and before.active:
            revoked = await auth_repo.revoke_user_sessions(conn, user_id)
        await audit.append(
            conn, actor_id=actor.id, action="user.updated", object_type="user",
            object_id=user_id, payload={"changes": changes, "revoked_sessions": revoked},
            post_code=post_code or before.post_code,
        )
        user = await repo.user_by_id(conn, user_id)
    assert user is not None
    return user


async def reset_password(conn: asyncpg.Connection, actor: Actor, user_id: str) -> UserWithPassword:
    """A new one-time password; the old password and every session stop working."""
    password = one_time_password()
    pw_hash = await hash_password_async(password)
    async with conn.transaction():
        if await repo.user_by_id(conn, user_id, for_update=True) is None:
            raise NotFound(f"user {user_id} not found")
        await auth_repo.set_password(conn, user_id, pw_hash, must_change=True)
        revoked = await auth_repo.revoke_user_sessions(conn, user_id)
        await audit.append(
            conn, actor_id=actor.id, action="user.password_reset", object_type="user",
            object_id=user_id, payload={"revoked_sessions": revoked},
        )
        user = await repo.user_by_id(conn, user_id)
    assert user is not None
    return UserWithPassword(user=user, one_time_password=password)


async def unlock(conn: asyncpg.Connection, actor: Actor, user_id: str) -> UnlockedOut:
    async with conn.transaction():
        login = await repo.login_of(conn, user_id)
        if login is None:
            raise NotFound(f"user {user_id} not found")
        cleared = await throttle.unlock(conn, login)
        await audit.append(
            conn, actor_id=actor.id, action="user.unlocked", object_type="user",
            object_id=user_id, payload={"login": login, "cleared_attempts": cleared},
        )
    return UnlockedOut(cleared=cleared)
