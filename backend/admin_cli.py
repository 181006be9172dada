"""dosmotr admin create | post add: set up a production install that has nobody to log in yet.

Both talk to the database directly (as `dosmotr migrate` does) and go through the same
services, validation and audit chain as the API; the audit events name no actor and say
`via: cli`. A password is never taken from argv (it would sit in the shell history and in
every `ps` listing): it comes from standard input when that is not a terminal, else from a
prompt, typed twice.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from backend.auth.service import MIN_PASSWORD_LENGTH
from backend.errors import Problem
from backend.settings import Settings

# Migration 0008 (users' one-time passwords, policy versions) is the newest this module needs.
SCHEMA_READY = "SELECT to_regclass('policy_versions') IS NOT NULL"


def add_parsers(sub: Any) -> None:
    admin = sub.add_parser("admin", help="administrator accounts")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser(
        "create", help="create an admin (password from stdin, or a prompt on a terminal)")
    create.add_argument("--login", required=True)
    create.add_argument("--name", required=True)
    post = sub.add_parser("post", help="customs posts")
    post_sub = post.add_subparsers(dest="post_command", required=True)
    add = post_sub.add_parser("add", help="add a post from a JSON file (as POST /api/posts)")
    add.add_argument("--file", required=True, type=Path,
                     help='{"code", "name", "kind": road|rail, "has_idk", "geofence", "policy"?}')


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run the command if it is one of these; None for the caller's own commands."""
    if args.command == "admin" and args.admin_command == "create":
        return create_admin(settings, args.login, args.name)
    if args.command == "post" and args.post_command == "add":
        return add_post(settings, args.file)
    return None


def read_password() -> str | None:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass(f"Password for the new admin (at least {MIN_PASSWORD_LENGTH} characters): ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        print("dosmotr: the passwords differ", file=sys.stderr)
        return None
    return first


def _fail(message: str, code: int = 1) -> int:
    print(f"dosmotr: {message}", file=sys.stderr)
    return code


def _run(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    """Run `work` on the app's connection; the schema comes from `dosmotr migrate` (as the
    owner role), which a fresh install runs first."""
    from backend.db.embedded import resolve_dsn
    from backend.db.pool import connect

    async def go() -> int:
        dsn, server = await resolve_dsn(settings.database_url, settings.data_dir)
        try:
            conn = await connect(dsn)
            try:
                if not await conn.fetchval(SCHEMA_READY):
                    return _fail("the database has no schema yet: run `dosmotr migrate` first", 2)
                return await work(conn)
            finally:
                await conn.close()
        finally:
            if server is not None:
                server.cleanup()

    return asyncio.run(go())


def create_admin(settings: Settings, login: str, name: str) -> int:
    from backend.users import service
    from backend.users.schemas import UserCreateIn

    password = read_password()
    if password is None:
        return 1
    if len(password) < MIN_PASSWORD_LENGTH:
        return _fail(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    try:
        data = msgspec.convert({"login": login, "name": name, "role": "admin"}, UserCreateIn)
    except msgspec.ValidationError as exc:
        return _fail(f"invalid admin: {exc}", 2)

    async def work(conn: asyncpg.Connection) -> int:
        try:
            made = await service.create_user(conn, None, data, password=password)
        except Problem as exc:
            return _fail(exc.detail)
        print(f"admin {made.user.login} created (id {made.user.id})")
        return 0

    return _run(settings, work)


def add_post(settings: Settings, file: Path) -> int:
    from backend.posts import service
    from backend.posts.schemas import PostIn

    try:
        data = msgspec.json.decode(file.read_bytes(), type=PostIn)
    except OSError as exc:
        return _fail(f"cannot read {file}: {exc}", 2)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return _fail(f"{file} is not a valid post: {exc}", 2)

    async def work(conn: asyncpg.Connection) -> int:
        try:
            post = await service.create_post(conn, None, data)
        except Problem as exc:
            path = exc.extra.get("path")
            return _fail(f"{file}: {exc.detail}" + (f" (at {path})" if path else ""))
        print(f"post {post.code} added ({post.kind}, policy version {post.policy_version})")
        return 0

    return _run(settings, work)
