"""`dosmotr worker` on SIGTERM: it takes no new jobs and hands the one it is running back to
the queue (queued again, not failed or canceled), exits within 15 s leaving no child (its
ffmpeg decoders included), and the next worker finishes the job. Its health port answers
/healthz and /readyz meanwhile, and `dosmotr worker --check` reads it."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg

from media_pipeline import jobs_repo
from media_pipeline.runner import run_worker
from tests.conftest import TEST_PEPPER
from tests.media_pipeline.test_worker import _register
from tests.process.procs import (
    DOSMOTR,
    STOP_LIMIT_S,
    Dosmotr,
    environment,
    family,
    free_port,
    survivors,
)
from tests.recordings.conftest import scene  # noqa: F401  (fixture)

TERMINAL = {"successful", "failed", "exception", "canceled", "deleted"}


def get_json(url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def worker_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DOSMOTR), "worker", "--check"], env=env, text=True,
                          capture_output=True, timeout=60)


async def until(predicate, timeout: float = 120, every: float = 0.05):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if value := await predicate():
            return value
        await asyncio.sleep(every)
    raise AssertionError(f"not within {timeout}s")


async def test_sigterm_mid_job_releases_it_to_the_next_worker(
    client, scene, app, db: asyncpg.Connection, db_url: str, settings, tmp_path: Path,  # noqa: F811
) -> None:
    health_port = free_port()
    env = {"DATABASE_URL": db_url, "DOSMOTR_DATA_DIR": str(settings.data_dir),
           "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER, "DOSMOTR_WORKER_CONCURRENCY": "1",
           "DOSMOTR_WORKER_STOP_GRACE_S": "0", "DOSMOTR_WORKER_HEALTH_PORT": str(health_port)}
    worker = Dosmotr(tmp_path, "worker", **env).start()
    try:
        await asyncio.to_thread(worker.wait_for_log, "worker connected to the queue")
        health = f"http://127.0.0.1:{health_port}"
        assert (await asyncio.to_thread(get_json, health + "/healthz"))[0] == 200
        status, ready = await asyncio.to_thread(get_json, health + "/readyz")
        assert status == 200, ready
        assert {"database", "queue", "occupancy", "counter", "ocr"} <= set(ready["checks"])
        check = await asyncio.to_thread(worker_check, environment(tmp_path / "var", **env))
        assert check.returncode == 0, check.stdout + check.stderr

        rec = await _register(client, scene, "unloading.mp4")

        async def running():  # type: ignore[no-untyped-def]
            # picked from the queue, and the job's body has begun (the recording says so)
            return await db.fetchrow(
                "SELECT q.id FROM pgqueuer q, recordings r WHERE q.entrypoint = 'validate_recording' "
                "AND q.status = 'picked' AND r.id = $1 AND r.state = 'validating'", rec["id"])

        job = await until(running)
        assert worker.proc is not None
        processes = family(worker.proc.pid)

        took = await asyncio.to_thread(worker.stop, signal.SIGTERM)

        assert took < STOP_LIMIT_S
        assert worker.proc.returncode == 0, worker.log()[-2000:]
        assert survivors(processes) == []
        row = await db.fetchrow("SELECT status, queue_manager_id FROM pgqueuer WHERE id = $1", job["id"])
        assert row is not None, "the job left the queue"
        assert row["status"] == "queued" and row["queue_manager_id"] is None
        logged = {r["status"] for r in await db.fetch(
            "SELECT status FROM pgqueuer_log WHERE job_id = $1", job["id"])}
        assert not logged & TERMINAL, logged
        assert not await jobs_repo.has_report(db, rec["id"])
        assert "released to the queue" in worker.log()
        check = await asyncio.to_thread(worker_check, environment(tmp_path / "var", **env))
        assert check.returncode == 1  # nobody answers any more

        # The next worker picks it up and finishes it.
        await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "work2",
                                          concurrency=1, drain=True), 180)
        got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
        assert got["validation"] is not None and got["state"] in ("validated", "failed"), got
        assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE id = $1", job["id"]) == 0
    finally:
        worker.kill_all()


def _namespace_pid(pid: int) -> int:
    """The process's PID inside its own PID namespace (last field of NSpid)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError("no NSpid")


async def test_worker_as_pid_1_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    """As a container's PID 1 (no default signal actions there), SIGTERM still stops it."""
    worker = Dosmotr(tmp_path, "worker", DATABASE_URL=db_url,
                     prefix=("unshare", "--pid", "--fork", "--mount-proc")).start()
    try:
        await asyncio.to_thread(worker.wait_for_log, "worker connected to the queue")
        assert worker.proc is not None
        inner = [p for p in family(worker.proc.pid)[1:] if "worker" in " ".join(p.cmdline())]
        assert len(inner) == 1 and _namespace_pid(inner[0].pid) == 1
        processes = family(worker.proc.pid)
        inner[0].send_signal(signal.SIGTERM)  # as `docker stop` does, from outside the namespace
        assert worker.proc.wait(STOP_LIMIT_S) == 0, worker.log()[-2000:]
        assert survivors(processes) == []
        assert "SIGTERM received" in worker.log()
    finally:
        worker.kill_all()
