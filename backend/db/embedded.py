"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is given.

It gets two roles, as a production database should: `dosmotr_owner` owns the database and
runs migrations; the API and the worker connect as `dosmotr_app`, which owns nothing and may
only append to the audit log (backend/db/roles.py). Both log in over the server's Unix socket
in the data dir (trust authentication: the socket's folder permissions are the boundary).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import asyncpg
import psutil

log = logging.getLogger("dosmotr.db")

APP_DATABASE = "dosmotr"
SUPERUSER = "postgres"
OWNER_ROLE = "dosmotr_owner"
APP_ROLE = "dosmotr_app"

CREATE_ROLE = """
DO $$ BEGIN
    CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
EXCEPTION WHEN duplicate_object THEN NULL;  -- another process made it first
END $$
"""

DATABASE_OWNER = """
SELECT r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1
"""


@dataclass(frozen=True)
class ResolvedDatabase:
    """Where the app connects (`app_dsn`) and where migrations run (`migrate_dsn`)."""

    app_dsn: str
    migrate_dsn: str
    server: EmbeddedPostgres | None = None

    @property
    def roles_separated(self) -> bool:
        return self.app_dsn != self.migrate_dsn


class EmbeddedPostgres:
    """A PostgreSQL 16 server living under the data dir, stopped when the last process using
    it calls `cleanup()` (pgserver counts its users by PID in `.handle_pids.json`)."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver  # imported lazily: only the embedded mode needs it

        pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata = pgdata
        self._server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.forget_dead_handles()

    def dsn(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}:@/{database}?host={quote(str(self.pgdata))}"

    def admin_dsn(self, database: str = "postgres") -> str:
        return self.dsn(database)

    async def ensure_database(self, name: str = APP_DATABASE) -> ResolvedDatabase:
        """Create the roles and the database if missing. A database made before the roles
        existed stays owned by the superuser, which then keeps running its migrations."""
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            for role in (OWNER_ROLE, APP_ROLE):
                await conn.execute(CREATE_ROLE.format(role=role))
            owner = await conn.fetchval(DATABASE_OWNER, name)
            if owner is None:
                try:
                    await conn.execute(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')
                    owner = OWNER_ROLE
                except asyncpg.DuplicateDatabaseError:
                    # another process created it between our check and create
                    owner = await conn.fetchval(DATABASE_OWNER, name)
        finally:
            await conn.close()
        return ResolvedDatabase(self.dsn(name, APP_ROLE), self.dsn(name, owner), self)

    def forget_dead_handles(self) -> None:
        """Drop PIDs of processes that died without cleaning up (SIGKILL, OOM, power loss)
        from pgserver's list of users, so they never keep the server alive on a clean stop."""
        handles = self._server.global_process_id_list
        with self._server._lock:
            pids = handles.get()
            alive = [pid for pid in pids if pid == os.getpid() or _is_alive(pid)]
            if alive != pids:
                log.info("forgetting dead users of the embedded database: %s",
                         sorted(set(pids) - set(alive)))
                handles.put(alive)

    def cleanup(self) -> None:
        """Stop the server if no other live process uses it."""
        self.forget_dead_handles()
        self._server.cleanup()


def _is_alive(pid: int) -> bool:
    """A live Python process: pgserver's users are Python processes, so a PID reused by some
    other program (common in containers, where PIDs are small) does not count."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        program = " ".join([process.name(), *process.cmdline()[:1]]).lower()
        return "python" in program or "dosmotr" in program
    except psutil.Error:
        return False


async def resolve_database(
    database_url: str | None, data_dir: Path, migrate_url: str | None = None
) -> ResolvedDatabase:
    """`DATABASE_URL` (and `DOSMOTR_MIGRATE_DATABASE_URL` for the owner, else the same URL),
    or the embedded server under the data dir with its two roles."""
    if database_url:
        return ResolvedDatabase(database_url, migrate_url or database_url)
    server = await asyncio.to_thread(EmbeddedPostgres, data_dir / "pg")
    return await server.ensure_database()


async def resolve_dsn(database_url: str | None, data_dir: Path) -> tuple[str, EmbeddedPostgres | None]:
    """The DSN the app connects with (the app role in embedded mode) and the embedded server."""
    resolved = await resolve_database(database_url, data_dir)
    return resolved.app_dsn, resolved.server
