"""The few plain queries a backup and a restore ask of the database: SQL only."""

from __future__ import annotations

import asyncpg

EXPORT_SNAPSHOT = "SELECT pg_export_snapshot()"


async def export_snapshot(conn: asyncpg.Connection) -> str:
    """The id of this transaction's snapshot, for pg_dump --snapshot."""
    return str(await conn.fetchval(EXPORT_SNAPSHOT))


SERVER_VERSION = "SHOW server_version"


async def server_version(conn: asyncpg.Connection) -> str:
    return str(await conn.fetchval(SERVER_VERSION))


USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
"""


async def user_relation_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(USER_RELATIONS))
