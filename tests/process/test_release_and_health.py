"""In one process, on the real queue: the stop grace (a job that ends within it completes; one
that does not goes back to the queue, untouched by failure), and the worker's health answers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncpg
import pytest
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode

from media_pipeline.context import Models
from media_pipeline.health import WorkerHealth, serve_health
from media_pipeline.runner import release_on_stop

ENTRYPOINT = "test_sleep"


async def _run_one_job(db_url: str, job_seconds: float, grace_s: float) -> tuple[int, set[str]]:
    """Enqueue one job that takes `job_seconds`, stop the worker once it runs; the job's row
    count left in the queue and the statuses logged for it."""
    conn = await asyncpg.connect(db_url)
    worker_conn = await asyncpg.connect(db_url)
    started = asyncio.Event()
    try:
        queries = Queries(AsyncpgDriver(conn))
        [job_id] = await queries.enqueue(ENTRYPOINT, b"{}")
        qm = QueueManager(queries=Queries(AsyncpgDriver(worker_conn)))

        @qm.entrypoint(ENTRYPOINT)
        async def sleeper(job: Job) -> None:
            started.set()
            await asyncio.sleep(job_seconds)

        stop = asyncio.Event()
        release_on_stop(qm, stop, grace_s)
        running = asyncio.create_task(qm.run(dequeue_timeout=timedelta(seconds=1), batch_size=1,
                                             mode=QueueExecutionMode.continuous))
        await asyncio.wait_for(started.wait(), 30)
        stop.set()
        qm.shutdown.set()
        await asyncio.wait_for(running, 30)
        left = await conn.fetchval("SELECT count(*) FROM pgqueuer WHERE id = $1", job_id)
        logged = {r["status"] for r in await conn.fetch(
            "SELECT status FROM pgqueuer_log WHERE job_id = $1", job_id)}
        return left, logged
    finally:
        await conn.close()
        await worker_conn.close()


async def test_a_job_that_ends_within_the_grace_completes(db_url: str) -> None:
    left, logged = await _run_one_job(db_url, job_seconds=0.5, grace_s=10)
    assert left == 0 and "successful" in logged


async def test_a_job_past_the_grace_goes_back_to_the_queue(db_url: str, db) -> None:  # type: ignore[no-untyped-def]
    left, logged = await _run_one_job(db_url, job_seconds=60, grace_s=0.2)
    assert left == 1
    assert not logged & {"successful", "failed", "exception", "canceled", "deleted"}
    row = await db.fetchrow("SELECT status, queue_manager_id, execute_after <= now() AS due "
                            "FROM pgqueuer WHERE entrypoint = $1", ENTRYPOINT)
    assert row["status"] == "queued" and row["queue_manager_id"] is None and row["due"]


async def _get(port: int, request: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body) if body else {}


@pytest.mark.parametrize("models_loaded", [True, False])
async def test_readiness_names_what_failed(db_url: str, models_loaded: bool) -> None:
    models = (Models(occupancy=object(), counter=object(), ocr=object()) if models_loaded  # type: ignore[arg-type]
              else Models(missing={"counter": "sha256 mismatch for cargo_counter"}))
    health = WorkerHealth(dsn=db_url, models=models, queue_running=True)
    server = await serve_health(health, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await _get(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == (200, {"status": "ok"})
        status, body = await _get(port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert body["checks"]["database"] == {"ok": True}
        if models_loaded:
            assert status == 200 and body["status"] == "ready"
        else:
            assert status == 503
            assert body["checks"]["ocr"] == {"ok": False, "detail": "not loaded"}
            # the reason the worker found at load time, not a bare "not loaded"
            assert body["checks"]["counter"] == {"ok": False,
                                                 "detail": "sha256 mismatch for cargo_counter"}
        health.dsn = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens there
        status, body = await _get(port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503 and body["checks"]["database"]["ok"] is False
        assert (await _get(port, b"POST /readyz HTTP/1.1\r\nHost: x\r\n\r\n"))[0] == 405
        assert (await _get(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"))[0] == 404
        assert (await _get(port, b"\xff\xfe garbage\r\n\r\n"))[0] == 405
    finally:
        server.close()
        await server.wait_closed()
