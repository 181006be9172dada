"""PostgreSQL stops under a running API: every endpoint that needs it answers 503
`database_unavailable` with Retry-After, /readyz says so, /healthz stays up; when the server is
back the API answers again by itself (no restart of the app)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEMPLATE_DB, EmbeddedServer, _build_template
from tests.recordings.server import ServerProcess

LOGIN = {"login": "auditor", "password": "demo-only"}


@pytest.fixture
def own_pg() -> Iterator[EmbeddedServer]:
    """A PostgreSQL of this test's own, so stopping it disturbs nobody else."""
    root = Path(tempfile.mkdtemp(prefix="dosmotr-pgdown-"))
    root.chmod(0o755)
    server = EmbeddedServer(root / "data")
    try:
        yield server
    finally:
        server.server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def stop_postgres(pg: EmbeddedServer) -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.server.pgdata, user=pg.server.system_user)


def start_postgres(pg: EmbeddedServer) -> None:
    pg.server.ensure_postgres_running()


def assert_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "database_unavailable"
    assert int(resp.headers["retry-after"]) > 0


async def test_503_while_the_database_is_down_then_recovery(own_pg: EmbeddedServer,
                                                            tmp_path: Path) -> None:
    tokens = await _build_template(own_pg)
    server = ServerProcess(own_pg.dsn(TEMPLATE_DB), tmp_path).start()
    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    keden = {"Authorization": f"Bearer {tokens['keden']}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            assert (await client.get("/api/audit", headers=auditor)).status_code == 200
            assert (await client.get("/readyz")).status_code == 200

            await asyncio.to_thread(stop_postgres, own_pg)
            # Authenticated reads (the token lookup needs the database), writes, and login.
            assert_unavailable(await client.get("/api/audit", headers=auditor))
            assert_unavailable(await client.get("/api/declarations", headers=keden))
            assert_unavailable(await client.post("/api/auth/login", json=LOGIN))
            assert_unavailable(await client.get("/api/posts", headers=auditor))
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert "database" in ready.json()["failed"]
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/index.html")).status_code == 200  # the PWA shell

            await asyncio.to_thread(start_postgres, own_pg)
            deadline = time.monotonic() + 30
            while True:
                resp = await client.get("/api/audit", headers=auditor)
                if resp.status_code == 200 or time.monotonic() > deadline:
                    break
                assert_unavailable(resp)
                await asyncio.sleep(0.5)
            assert resp.status_code == 200, resp.text
            assert (await client.post("/api/auth/login", json=LOGIN)).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
        assert server.proc is not None and server.proc.poll() is None  # never restarted
    finally:
        server.stop()
