"""Posts: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.posts.policy import Policy

LIST_POSTS = "SELECT code, name, kind, has_idk, geofence, policy_version FROM posts ORDER BY code"


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


POST_ROW = "SELECT code, name, kind, has_idk, geofence, policy_version FROM posts WHERE code = $1"


async def post_row(conn: asyncpg.Connection, code: str, *, for_update: bool = False) -> Any:
    return await conn.fetchrow(POST_ROW + (" FOR UPDATE" if for_update else ""), code)


UPDATE_POST = "UPDATE posts SET name = $2, kind = $3, has_idk = $4, geofence = $5 WHERE code = $1"


async def update_post(conn: asyncpg.Connection, code: str, name: str, kind: str, has_idk: bool,
                      geofence: dict[str, Any]) -> None:
    await conn.execute(UPDATE_POST, code, name, kind, has_idk, geofence)


# The triggers of migration 0008 number the new version and copy it into policy_versions,
# naming the author this transaction sets; only a write that says so makes a new version.
SET_AUTHOR = """
SELECT set_config('dosmotr.actor_id', $1, true), set_config('dosmotr.policy_change', 'version', true)
"""
SET_POLICY = "UPDATE posts SET policy = $2 WHERE code = $1 RETURNING policy_version"


async def set_author(conn: asyncpg.Connection, actor_id: str | None) -> None:
    await conn.execute(SET_AUTHOR, actor_id or "")


async def set_policy(conn: asyncpg.Connection, code: str, policy: Policy) -> int:
    return int(await conn.fetchval(SET_POLICY, code, msgspec.to_builtins(policy)))


CURRENT_POLICY = "SELECT policy, policy_version FROM posts WHERE code = $1"


async def current_policy(conn: asyncpg.Connection, code: str) -> tuple[Policy, int] | None:
    row = await conn.fetchrow(CURRENT_POLICY, code)
    return (msgspec.convert(row["policy"], Policy), row["policy_version"]) if row else None


POLICY_VERSION = """
SELECT v.version, v.policy, v.created_by, u.name AS created_by_name, v.created_at
FROM policy_versions v LEFT JOIN users u ON u.id = v.created_by
WHERE v.post_code = $1 AND v.version = $2
"""


async def policy_version(conn: asyncpg.Connection, code: str, version: int) -> Any:
    return await conn.fetchrow(POLICY_VERSION, code, version)


POLICY_VERSIONS = """
SELECT v.version, v.created_by, u.name AS created_by_name, v.created_at,
       v.version = p.policy_version AS current
FROM policy_versions v JOIN posts p ON p.code = v.post_code
LEFT JOIN users u ON u.id = v.created_by
WHERE v.post_code = $1 ORDER BY v.version DESC
"""


async def policy_versions(conn: asyncpg.Connection, code: str) -> list[Any]:
    return list(await conn.fetch(POLICY_VERSIONS, code))


async def policy_of_inspection(conn: asyncpg.Connection, inspection_id: str) -> Policy | None:
    """The policy an inspection runs under: its recorded version, else the post's current one."""
    row = await conn.fetchrow(
        "SELECT coalesce(v.policy, p.policy) AS policy FROM inspections i "
        "JOIN posts p ON p.code = i.post_code "
        "LEFT JOIN policy_versions v ON v.post_code = i.post_code AND v.version = i.policy_version "
        "WHERE i.id = $1", inspection_id)
    return msgspec.convert(row["policy"], Policy) if row else None


SHIFT = """
SELECT id, login, name, on_shift FROM users
WHERE post_code = $1 AND role = 'inspector' AND active ORDER BY name, login
"""


async def shift(conn: asyncpg.Connection, code: str) -> list[Any]:
    return list(await conn.fetch(SHIFT, code))


SET_SHIFT = """
UPDATE users SET on_shift = (id = ANY($2::text[]))
WHERE post_code = $1 AND role = 'inspector' AND on_shift IS DISTINCT FROM (id = ANY($2::text[]))
RETURNING id, on_shift
"""


async def set_shift(conn: asyncpg.Connection, code: str, ids: list[str]) -> list[Any]:
    return list(await conn.fetch(SET_SHIFT, code, ids))


async def lock_shift(conn: asyncpg.Connection, code: str) -> None:
    # Two heads saving the shift at once: the second waits and then sees the first's result.
    await conn.execute("SELECT 1 FROM posts WHERE code = $1 FOR UPDATE", code)
