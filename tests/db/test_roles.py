"""Least privilege: the API and the worker connect as a role that owns nothing. It may append
to the audit log and read it, but not change, empty or unprotect it; the app and the worker
still do their whole job with it. The embedded database creates that role and an owner."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from backend.audit import repo as audit
from backend.db.embedded import APP_ROLE, OWNER_ROLE, EmbeddedPostgres
from backend.db.migrate import migrate
from backend.db.pool import connect
from backend.jobs import enqueue_validation
from media_pipeline.runner import run_worker
from tests.helpers import create_declaration

_names = itertools.count(1)
REFUSED = (asyncpg.InsufficientPrivilegeError,)


def _as(dsn: str, role: str) -> str:
    return dsn.replace("postgresql://postgres:@", f"postgresql://{role}:@", 1)


@pytest_asyncio.fixture
async def app_dsn(pg, template) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """A database migrated by its owner, who granted a fresh app role its rights."""
    role = f"t_app_{os.getpid()}_{next(_names)}"
    admin = await asyncpg.connect(pg.dsn("postgres"))
    await admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        async with pg.clone_of_template(f"roles_{role}") as owner_dsn:
            owner = await connect(owner_dsn)
            try:
                await migrate(owner, app_role=role)
            finally:
                await owner.close()
            yield _as(owner_dsn, role)
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


@pytest_asyncio.fixture
async def app_conn(app_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(app_dsn)
    yield conn
    await conn.close()


@pytest.mark.parametrize("statement", [
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_events_no_truncate ON audit_events",
    "UPDATE audit_events SET action = 'rewritten'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "DROP TABLE audit_events",
    "SET session_replication_role = replica",  # would silence every trigger
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "DROP FUNCTION audit_events_append_only() CASCADE",
    "SET ROLE postgres",
    "CREATE TABLE shadow (x int)",
    "DELETE FROM schema_migrations",
])
async def test_app_role_cannot_alter_or_rewrite_the_audit_log(app_conn, statement: str) -> None:
    before = await app_conn.fetchval("SELECT count(*) FROM audit_events")
    with pytest.raises(REFUSED):
        await app_conn.execute(statement)
    assert await app_conn.fetchval("SELECT count(*) FROM audit_events") == before
    enabled = await app_conn.fetchval(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND tgenabled = 'O'")
    assert enabled == 2


async def test_app_role_owns_nothing_and_appends_to_the_audit_log(app_conn) -> None:
    role = await app_conn.fetchval("SELECT current_user")
    assert not await app_conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", role)
    assert await app_conn.fetchval(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        role) == 0
    async with app_conn.transaction():
        seq = await audit.append(app_conn, actor_id=None, action="test.appended", object_type="test",
                                 object_id="1", payload={"by": role})
    assert await app_conn.fetchval("SELECT action FROM audit_events WHERE seq = $1", seq) == "test.appended"
    assert (await audit.verify_chain(app_conn)).ok


async def test_the_app_and_the_worker_work_as_the_app_role(app_dsn, app_conn, settings, tokens, tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from backend.app import create_app

    app = create_app(settings, dsn=app_dsn)  # its start-up migration check needs no DDL
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        login = await client.post("/api/auth/login", json={"login": "head.alakol", "password": "demo-only"})
        assert login.status_code in (200, 201), login.text
        decl = await create_declaration(client, {"Authorization": f"Bearer {tokens['keden']}"},
                                        post="ALAKOL", corridor="red")
        assert decl["inspection"] is not None
        store = app.state.store
    await enqueue_validation(app_conn, "no-such-recording")
    await run_worker(app_dsn, store, None, tmp_path / "work", concurrency=1, drain=True)
    assert await app_conn.fetchval("SELECT count(*) FROM pgqueuer") == 0
    assert await app_conn.fetchval(
        "SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'") >= 1


async def test_later_tables_get_the_same_rights(pg, app_dsn, app_conn) -> None:  # type: ignore[no-untyped-def]
    owner = await asyncpg.connect(pg.dsn(await app_conn.fetchval("SELECT current_database()")))
    try:
        await owner.execute("CREATE TABLE later_table (id bigint GENERATED BY DEFAULT AS IDENTITY, x int)")
    finally:
        await owner.close()
    await app_conn.execute("INSERT INTO later_table (x) VALUES (1)")
    assert await app_conn.execute("UPDATE later_table SET x = 2") == "UPDATE 1"
    with pytest.raises(REFUSED):
        await app_conn.execute("ALTER TABLE later_table ADD COLUMN y int")


async def test_embedded_database_has_an_owner_and_an_app_role() -> None:
    root = Path(tempfile.mkdtemp(prefix="dosmotr-roles-"))
    root.chmod(0o755)
    server = EmbeddedPostgres(root / "pg")
    try:
        db = await server.ensure_database()
        assert db.roles_separated
        owner = await connect(db.migrate_dsn)
        try:
            assert await owner.fetchval("SELECT current_user") == OWNER_ROLE
            await migrate(owner, app_role=APP_ROLE)
            tables_not_owned = await owner.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> $1", OWNER_ROLE)
            assert tables_not_owned == 0
        finally:
            await owner.close()
        app = await connect(db.app_dsn)
        try:
            assert await app.fetchval("SELECT current_user") == APP_ROLE
            assert not await app.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            with pytest.raises(REFUSED):
                await app.execute("ALTER TABLE audit_events DISABLE TRIGGER ALL")
            async with app.transaction():
                await audit.append(app, actor_id=None, action="test.appended", object_type="test",
                                   object_id="1", payload={})
        finally:
            await app.close()
        again = await server.ensure_database()  # a restart: same roles, same database
        assert (again.app_dsn, again.migrate_dsn) == (db.app_dsn, db.migrate_dsn)

        # A data dir from before the roles: its database belongs to the superuser, who keeps
        # migrating it; the app still connects as the app role and gets its grants.
        admin = await asyncpg.connect(server.admin_dsn())
        try:
            await admin.execute('CREATE DATABASE "legacy"')
        finally:
            await admin.close()
        legacy = await server.ensure_database("legacy")
        owner = await connect(legacy.migrate_dsn)
        try:
            assert await owner.fetchval("SELECT current_user") == "postgres"
            await migrate(owner, app_role=APP_ROLE)
        finally:
            await owner.close()
        app = await connect(legacy.app_dsn)
        try:
            assert await app.fetchval("SELECT current_user") == APP_ROLE
            assert await app.fetchval("SELECT count(*) FROM audit_events") >= 0
            with pytest.raises(REFUSED):
                await app.execute("TRUNCATE audit_events")
        finally:
            await app.close()
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


async def test_operator_gives_an_owner_url_and_an_app_url(pg, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As compose does it: two ordinary users; `dosmotr migrate` migrates as the owner (no
    superuser needed) and grants the app user, which then cannot unprotect the audit log."""
    import subprocess
    import sys

    n = f"{os.getpid()}_{next(_names)}"
    owner, app, database = f"t_owner_{n}", f"t_app_{n}", f"operator_{n}"
    admin = await asyncpg.connect(pg.dsn("postgres"))
    await admin.execute(f"CREATE ROLE {owner} LOGIN")
    await admin.execute(f"CREATE ROLE {app} LOGIN")
    await admin.execute(f'CREATE DATABASE "{database}" OWNER {owner}')
    try:
        env = {"PATH": os.environ["PATH"], "DOSMOTR_DATA_DIR": str(tmp_path),
               "DATABASE_URL": _as(pg.dsn(database), app),
               "DOSMOTR_MIGRATE_DATABASE_URL": _as(pg.dsn(database), owner)}
        done = subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "DATABASE_URL is also used for migrations" not in done.stderr
        conn = await connect(_as(pg.dsn(database), app))
        try:
            assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                       "AND tableowner <> $1", owner) == 0
            with pytest.raises(REFUSED):
                await conn.execute("ALTER TABLE audit_events DISABLE TRIGGER ALL")
            with pytest.raises(REFUSED):
                await conn.execute("DELETE FROM audit_events")
            async with conn.transaction():
                await audit.append(conn, actor_id=None, action="test.appended", object_type="test",
                                   object_id="1", payload={})
            await enqueue_validation(conn, "no-such-recording")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f"DROP ROLE IF EXISTS {app}")
        await admin.execute(f"DROP ROLE IF EXISTS {owner}")
        await admin.close()
