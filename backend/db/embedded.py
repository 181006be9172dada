"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is given."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import asyncpg

APP_DATABASE = "dosmotr"


class EmbeddedPostgres:
    """A PostgreSQL 16 server living under the data dir, stopped when this process exits."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver  # imported lazily: only the embedded mode needs it

        pgdata.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.pgdata = pgdata

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:@/{database}?host={quote(str(self.pgdata))}"

    async def ensure_database(self, name: str = APP_DATABASE) -> str:
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                except asyncpg.DuplicateDatabaseError:
                    pass  # another process created it between our check and create
        finally:
            await conn.close()
        return self.admin_dsn(name)

    def cleanup(self) -> None:
        self._server.cleanup()


async def resolve_dsn(database_url: str | None, data_dir: Path) -> tuple[str, EmbeddedPostgres | None]:
    if database_url:
        return database_url, None
    server = await asyncio.to_thread(EmbeddedPostgres, data_dir / "pg")
    return await server.ensure_database(), server
