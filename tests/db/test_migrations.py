"""Migrations: concurrent starts don't race; restarts keep data."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg

from backend.db.migrate import discover, migrate
from backend.db.pool import connect
from tests.helpers import create_declaration


async def _fresh_db(pg, name: str) -> str:  # type: ignore[no-untyped-def]
    admin = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return str(pg.dsn(name))


async def test_two_processes_migrating_at_once(pg, tmp_path) -> None:
    dsn = await _fresh_db(pg, "mig_procs")
    env = {"DATABASE_URL": dsn, "DOSMOTR_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "backend.cli", "migrate"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [m.version for m in discover()]
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'audit_events'") == 1
    finally:
        await conn.close()


async def test_concurrent_migrate_calls_apply_each_version_once(pg) -> None:
    dsn = await _fresh_db(pg, "mig_tasks")
    conns = [await connect(dsn) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(c) for c in conns))
        flat = sorted(v for a in applied for v in a)
        assert flat == [m.version for m in discover()]
    finally:
        for c in conns:
            await c.close()


async def test_restart_keeps_data(settings, db_url, auth) -> None:
    from litestar.testing import AsyncTestClient

    from backend.app import create_app

    keden = await auth("keden")
    async with AsyncTestClient(app=create_app(settings, dsn=db_url)) as first:
        decl = await create_declaration(first, keden, post="ALAKOL", corridor="red")
    async with AsyncTestClient(app=create_app(settings, dsn=db_url)) as second:
        resp = await second.get(f"/api/declarations/{decl['id']}", headers=keden)
        assert resp.status_code == 200
        assert resp.json()["inspection"]["id"] == decl["inspection"]["id"]
