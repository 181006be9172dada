"""The worker outlives a database restart: while PostgreSQL is down it stays up and says so on
/readyz (503, database failed); when it is back it reconnects by itself and runs new jobs."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from backend.db.migrate import migrate
from backend.db.pool import connect
from backend.jobs import enqueue_validation
from tests.process.procs import STOP_LIMIT_S, Dosmotr, alive, free_port, postmaster
from tests.process.test_worker_stop import get_json, until

CONNECTED = "worker connected to the queue"


class PrivatePostgres:
    """A PostgreSQL of this test alone, so that stopping it harms no other test."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        self.pgdata = pgdata
        self.server = pgserver.get_server(pgdata, cleanup_mode="stop")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:@/{database}?host={self.pgdata}"

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def private_pg(root: Path) -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres(root / "pg")
    yield pg
    if not alive(postmaster(pg.pgdata)):
        pg.start()  # so that pgserver's own cleanup finds it and stops it
    pg.server.cleanup()


async def _migrated(pg: PrivatePostgres) -> str:
    admin = await asyncpg.connect(pg.dsn())
    try:
        await admin.execute("CREATE DATABASE dosmotr")
    finally:
        await admin.close()
    conn = await connect(pg.dsn("dosmotr"))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return pg.dsn("dosmotr")


async def test_worker_reconnects_after_the_database_restarts(root: Path, private_pg: PrivatePostgres) -> None:
    dsn = await _migrated(private_pg)
    port = free_port()
    worker = Dosmotr(root, "worker", DATABASE_URL=dsn, DOSMOTR_WORKER_HEALTH_PORT=str(port)).start()
    readyz = f"http://127.0.0.1:{port}/readyz"
    try:
        await asyncio.to_thread(worker.wait_for_log, CONNECTED)
        assert (await asyncio.to_thread(get_json, readyz))[0] == 200

        await asyncio.to_thread(private_pg.stop)
        await asyncio.to_thread(worker.wait_for_log, "database unavailable", 60)
        await asyncio.sleep(3)  # several reconnection attempts
        assert worker.proc is not None and worker.proc.poll() is None, worker.log()[-2000:]
        status, body = await asyncio.to_thread(get_json, readyz)
        assert status == 503
        assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["detail"]

        await asyncio.to_thread(private_pg.start)
        await until(lambda: _logged_twice(worker), timeout=60)
        job_recording = str(uuid.uuid4())  # no such recording: the job runs and drops it
        conn = await asyncpg.connect(dsn)
        try:
            await enqueue_validation(conn, job_recording)

            async def done() -> bool:
                return bool(await conn.fetchval(
                    "SELECT count(*) FROM pgqueuer_log WHERE entrypoint = 'validate_recording' "
                    "AND status = 'successful'"))

            await until(done, timeout=60, every=0.2)
            assert await conn.fetchval("SELECT count(*) FROM pgqueuer") == 0
        finally:
            await conn.close()
        log = worker.log()
        assert f"recording {job_recording} vanished" in log
        assert "queue manager stopped" not in log, log  # the outage was recognised as one
        assert (await asyncio.to_thread(get_json, readyz))[0] == 200
        assert await asyncio.to_thread(worker.stop, signal.SIGTERM) < STOP_LIMIT_S
    finally:
        worker.kill_all()


async def _logged_twice(worker: Dosmotr) -> bool:
    return worker.log().count(CONNECTED) >= 2
