"""Posts: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.posts.policy import Policy

LIST_POSTS = "SELECT code, name, kind, has_idk, geofence FROM posts ORDER BY code"


async def list_posts(conn: asyncpg.Connection) -> list[Any]:
    return list(await conn.fetch(LIST_POSTS))


POST_BY_CODE = "SELECT code, name, kind, has_idk, geofence, policy FROM posts WHERE code = $1"


async def post_by_code(conn: asyncpg.Connection, code: str) -> Any:
    return await conn.fetchrow(POST_BY_CODE, code)


async def policy_for(conn: asyncpg.Connection, code: str) -> Policy | None:
    row = await conn.fetchrow("SELECT policy FROM posts WHERE code = $1", code)
    return msgspec.convert(row["policy"], Policy) if row else None


INSERT_POST = """
INSERT INTO posts (code, name, kind, has_idk, geofence, policy) VALUES ($1, $2, $3, $4, $5, $6)
"""


async def insert_post(
    conn: asyncpg.Connection, code: str, name: str, kind: str, has_idk: bool,
    geofence: dict[str, Any], policy: Policy,
) -> None:
    await conn.execute(
        INSERT_POST, code, name, kind, has_idk, geofence, msgspec.to_builtins(policy)
    )
