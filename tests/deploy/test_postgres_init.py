"""compose's PostgreSQL init script, run by psql against a real PostgreSQL 16, makes the app role
compose's DATABASE_URL logs in with: a login that may connect and holds no power of its own,
until the app's migration grants it what the app needs (and on the audit table, no more)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from backend.db.migrate import migrate
from backend.db.pool import connect

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "postgres" / "10-app-role.sh"


@pytest.fixture(scope="module")
def server() -> Iterator[Path]:
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="dosmotr-pginit-"))
    root.chmod(0o755)
    pgdata = root / "pg"
    srv = pgserver.get_server(pgdata, cleanup_mode="stop")
    srv.psql("CREATE DATABASE dosmotr;")
    try:
        yield pgdata
    finally:
        srv.cleanup()
        shutil.rmtree(root, ignore_errors=True)


async def test_init_script_creates_a_powerless_app_login(server: Path) -> None:
    import pgserver

    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PGHOST": str(server),
           "POSTGRES_USER": "postgres", "POSTGRES_DB": "dosmotr",
           "POSTGRES_APP_PASSWORD": "it's a \"quoted\" secret"}
    out = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    admin = await asyncpg.connect(f"postgresql://postgres@/dosmotr?host={server}")
    try:
        role = await admin.fetchrow(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
            "rolpassword IS NOT NULL AS has_password FROM pg_authid WHERE rolname = 'dosmotr_app'"
        )
        assert role is not None
        assert role["rolcanlogin"] and role["has_password"]
        assert not (role["rolsuper"] or role["rolcreatedb"] or role["rolcreaterole"]
                    or role["rolbypassrls"])
    finally:
        await admin.close()
    app = await asyncpg.connect(f"postgresql://dosmotr_app@/dosmotr?host={server}")
    try:
        assert await app.fetchval("SELECT current_user") == "dosmotr_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("CREATE TABLE squat (x int)")  # owns nothing, creates nothing
    finally:
        await app.close()

    # The app's start-up migration, as compose runs it (DOSMOTR_MIGRATE_DATABASE_URL is the
    # image's superuser owner), grants this role its rights, and no more on the audit table.
    owner = await connect(f"postgresql://postgres@/dosmotr?host={server}")
    try:
        await migrate(owner, app_role="dosmotr_app")
    finally:
        await owner.close()
    app = await connect(f"postgresql://dosmotr_app@/dosmotr?host={server}")
    try:
        assert await app.fetchval("SELECT count(*) FROM users") == 0
        for statement in ("ALTER TABLE audit_events DISABLE TRIGGER ALL",
                          "UPDATE audit_events SET action = 'x'", "TRUNCATE audit_events"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute(statement)
    finally:
        await app.close()
