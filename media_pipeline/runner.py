"""Running the worker as a service: stop cleanly, survive the database going away.

- A stop (SIGTERM/SIGINT, set by the CLI) ends dequeuing at once. A job still running after
  `stop_grace` seconds is released back to the queue (PgQueuer's database retry: status
  `queued`, no delay), so the next worker picks it up; it is never marked failed or canceled.
  Jobs are idempotent (see media_pipeline/worker.py), so a released job simply runs again.
- When the database connection is lost, the queue manager is rebuilt on a fresh connection
  with back-off until the database answers again; the process stays up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import timedelta
from pathlib import Path

import asyncpg
from pgqueuer.errors import RetryRequested
from pgqueuer.executors import AbstractEntrypointExecutor
from pgqueuer.models import Context, Job
from pgqueuer.qm import QueueManager
from pgqueuer.types import QueueExecutionMode

from backend.storage.base import ObjectStore
from media_pipeline.context import Models
from media_pipeline.health import WorkerHealth

log = logging.getLogger("dosmotr.worker")

RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 15.0
# What a lost or refused database connection looks like from asyncpg and the socket layer.
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.OperatorInterventionError,  # admin shutdown, crash shutdown
)


@dataclasses.dataclass
class ReleaseOnStop(AbstractEntrypointExecutor):
    """Wraps an entrypoint's executor: on stop, waits `grace_s`, then hands the job back."""

    inner: AbstractEntrypointExecutor
    stopping: asyncio.Event
    grace_s: float

    async def execute(self, job: Job, context: Context) -> None:
        work = asyncio.ensure_future(self.inner.execute(job, context))
        stopping = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                await asyncio.wait({work}, timeout=self.grace_s)
            if not work.done():
                work.cancel()
                await asyncio.wait({work})
                if work.cancelled() or work.exception() is not None:
                    log.info("job %s (%s) released to the queue: the worker is stopping",
                             job.id, job.entrypoint)
                    raise RetryRequested(timedelta(0), "worker stopped; job released to the queue")
            work.result()  # the job's own outcome, exceptions included
        finally:
            stopping.cancel()
            if not work.done():
                work.cancel()  # we were cancelled ourselves


def release_on_stop(qm: QueueManager, stopping: asyncio.Event, grace_s: float) -> None:
    for name, executor in list(qm.entrypoint_registry.items()):
        qm.entrypoint_registry[name] = ReleaseOnStop(
            parameters=executor.parameters, inner=executor, stopping=stopping, grace_s=grace_s
        )


async def run_worker(
    dsn: str,
    store: ObjectStore,
    models: Models | None,
    work_dir: Path,
    *,
    concurrency: int = 2,
    drain: bool = False,
    heartbeat_timeout: timedelta = timedelta(seconds=60),
    stop: asyncio.Event | None = None,
    stop_grace_s: float = 5.0,
    health: WorkerHealth | None = None,
) -> None:
    """Run jobs until `stop` is set (or, with `drain`, until the queue is empty).

    In continuous mode a lost database is waited out; in drain mode (tests, one-off runs) it is
    an error, raised to the caller.
    """
    stop = stop if stop is not None else asyncio.Event()
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    delay = RECONNECT_MIN_S
    while not stop.is_set():
        try:
            await _run_session(dsn, store, models, work_dir, concurrency, drain,
                               heartbeat_timeout, stop, stop_grace_s, health)
            return
        except Exception as exc:
            if drain:
                raise
            if isinstance(exc, DATABASE_DOWN):
                log.warning("database unavailable (%s: %s); reconnecting in %.1fs",
                            type(exc).__name__, exc, delay)
            else:  # not expected: keep serving, but say what happened
                log.exception("queue manager stopped; restarting in %.1fs", delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(RECONNECT_MAX_S, delay * 2)


async def _run_session(
    dsn: str,
    store: ObjectStore,
    models: Models | None,
    work_dir: Path,
    concurrency: int,
    drain: bool,
    heartbeat_timeout: timedelta,
    stop: asyncio.Event,
    stop_grace_s: float,
    health: WorkerHealth | None,
) -> None:
    """One connection's life: a pool for the jobs, a connection for the queue manager."""
    from backend.db.pool import connect, open_pool
    from media_pipeline.worker import RecordingValidator, build_queue_manager

    pool = await open_pool(dsn, max_size=concurrency + 2)
    try:
        conn = await connect(dsn)
        try:
            validator = RecordingValidator(pool, store, models, work_dir)
            qm = build_queue_manager(conn, validator, concurrency)
            release_on_stop(qm, stop, stop_grace_s)
            relay = asyncio.create_task(_relay(stop, qm.shutdown))
            try:
                if health is not None:
                    health.queue_running = True
                log.info("worker connected to the queue")
                await qm.run(
                    dequeue_timeout=timedelta(seconds=5),
                    batch_size=max(1, concurrency),
                    mode=QueueExecutionMode.drain if drain else QueueExecutionMode.continuous,
                    heartbeat_timeout=heartbeat_timeout,
                )
            finally:
                relay.cancel()
                if health is not None:
                    health.queue_running = False
        finally:
            try:
                await asyncio.wait_for(conn.close(), 5)
            except DATABASE_DOWN:
                conn.terminate()
    finally:
        try:
            await asyncio.wait_for(pool.close(), 5)
        except DATABASE_DOWN:
            pool.terminate()


async def _relay(stop: asyncio.Event, shutdown: asyncio.Event) -> None:
    await stop.wait()
    shutdown.set()


def end_child_processes(grace_s: float = 2.0) -> None:
    """Terminate, wait, then kill this process's children (ffmpeg decoders of released jobs)."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace_s)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
