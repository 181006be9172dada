"""Versioned SQL migrations, applied under an advisory lock so that concurrent starts don't race."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger("dosmotr.migrate")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# An arbitrary, fixed key: every Dosmotr process that migrates takes this same lock.
MIGRATION_LOCK_KEY = 0x0D05_7A07


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(int(version), name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {directory}")
    return found


CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""

APPLIED = "SELECT version, checksum FROM schema_migrations"

RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


LEDGER_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL"


async def _up_to_date(conn: asyncpg.Connection, todo: list[Migration]) -> bool:
    """Read-only, so that a role without DDL rights (the app's) can start on a current schema."""
    if not await conn.fetchval(LEDGER_EXISTS):
        return False
    applied = {r["version"] for r in await conn.fetch(APPLIED)}
    if any(m.version not in applied for m in todo):
        return False
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.queries import Queries

    return bool(await Queries(AsyncpgDriver(conn)).schema_is_installed())


async def migrate(
    conn: asyncpg.Connection,
    migrations: list[Migration] | None = None,
    *,
    app_role: str | None = None,
) -> list[int]:
    """Apply missing migrations; returns the versions applied by this call.

    `conn` is the owner's. With `app_role`, the owner then grants that role what the app needs
    (backend/db/roles.py), also when nothing was missing.
    """
    todo = discover() if migrations is None else migrations
    applied_now: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        if app_role is None and await _up_to_date(conn, todo):
            return applied_now
        await conn.execute(CREATE_LEDGER)
        applied = {r["version"]: r["checksum"] for r in await conn.fetch(APPLIED)}
        for m in todo:
            if m.version in applied:
                if applied[m.version] != m.checksum:
                    log.warning("migration %04d_%s changed after it was applied", m.version, m.name)
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(RECORD, m.version, m.name, m.checksum)
            log.info("applied migration %04d_%s", m.version, m.name)
            applied_now.append(m.version)
        from backend.jobs import install_queue

        await install_queue(conn)
        if app_role is not None:
            from backend.db.roles import grant_app_role

            await grant_app_role(conn, app_role)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    return applied_now
