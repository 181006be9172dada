"""The pipeline worker: runs `validate_recording` jobs from the PostgreSQL queue (PgQueuer).

A job is idempotent: the report is inserted once (a re-run after a crash finds it and stops),
renditions are written under fixed keys (an existing one is kept). Exceptions are retried with
back-off by the executor; a file that cannot be decoded is not an exception but a `fail` report.
A worker killed mid-job stops sending heartbeats, and another worker picks the job up again.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from pgqueuer.db import AsyncpgDriver
from pgqueuer.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.storage.base import ObjectExists, ObjectInfo, ObjectStore
from contract.jobs import VALIDATE_RECORDING, ValidateRecording
from contract.report import ValidationReport
from media_pipeline import jobs_repo
from media_pipeline.context import Models
from media_pipeline.renditions import make_all
from media_pipeline.validate import validate

log = logging.getLogger("dosmotr.worker")

RENDITION_KINDS = {  # file suffix made by renditions.make_all -> (kind, content type)
    ".faststart.mp4": ("video", "video/mp4"),
    ".poster.jpg": ("poster", "image/jpeg"),
    ".contact.jpg": ("contact_sheet", "image/jpeg"),
}


@dataclass
class RecordingValidator:
    pool: asyncpg.Pool
    store: ObjectStore
    models: Models | None
    work_dir: Path

    async def __call__(self, job: Job) -> None:
        payload = msgspec.json.decode(job.payload or b"{}", type=ValidateRecording)
        await self.validate_recording(payload.recording_id)

    async def validate_recording(self, recording_id: str) -> ValidationReport | None:
        async with self.pool.acquire() as conn:
            row = await jobs_repo.load_recording(conn, recording_id)
            if row is None:
                log.warning("recording %s vanished; job dropped", recording_id)
                return None
            if await jobs_repo.has_report(conn, recording_id):
                return None  # a re-run after a crash: the first report stands
            await jobs_repo.mark_validating(conn, recording_id)
        ctx = jobs_repo.build_context(row)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            path = self.store.local_path(row["object_key"])
            if path is None:
                path = Path(tmp) / Path(row["object_key"]).name
                await self.store.download_to(row["object_key"], path)
            report = await asyncio.to_thread(validate, str(path), ctx, self.models)
            renditions = await self._renditions(recording_id, path, report, Path(tmp))
        async with self.pool.acquire() as conn, conn.transaction():
            for kind, key, content_type, size, sha in renditions:
                await jobs_repo.store_rendition(conn, recording_id, kind, key, content_type, size, sha)
            if await jobs_repo.store_report(conn, recording_id, report):
                await self._record(conn, row, report)
        return report

    async def _renditions(
        self, recording_id: str, src: Path, report: ValidationReport, tmp: Path
    ) -> list[tuple[str, str, str, int, str]]:
        if report.verdict == "fail" and any(
            c.name == "probe" and c.verdict == "fail" for c in report.checks
        ):
            return []  # nothing decodable to render
        try:
            paths = await asyncio.to_thread(make_all, src, report, tmp)
        except Exception:
            log.exception("renditions failed for %s", recording_id)
            return []
        out = []
        for p in paths:
            suffix = next((s for s in RENDITION_KINDS if p.name.endswith(s)), None)
            if suffix is None:
                continue
            kind, content_type = RENDITION_KINDS[suffix]
            key = f"renditions/{recording_id}/{kind}{Path(suffix).suffix}"
            try:
                info: ObjectInfo | None = await self.store.put_bytes(
                    key, await asyncio.to_thread(p.read_bytes), content_type
                )
            except ObjectExists:
                info = await self.store.stat(key)  # written by an earlier, interrupted run
            if info is None:
                continue
            out.append((kind, key, content_type, info.size, info.sha256))
        return out

    async def _record(self, conn: asyncpg.Connection, row: Any, report: ValidationReport) -> None:
        failed = [c for c in report.checks if c.verdict == "fail"]
        await audit.append(
            conn, actor_id=None, action="recording.validated", object_type="recording",
            object_id=row["id"],
            payload={"verdict": report.verdict, "failed": [c.name for c in failed],
                     "pipeline_version": report.pipeline_version,
                     "models": [msgspec.to_builtins(m) for m in report.models]},
        )
        if not failed:
            return
        link = f"/inspections/{row['inspection_id']}"
        if any(c.name == "duration" for c in failed):
            await raise_alert(
                conn, kind="phase_too_short", post_code=row["post_code"], object_type="recording",
                object_id=row["id"], title="Запись короче минимума",
                body=f"Фаза {row['phase']} по декларации {row['number']} короче требуемого.",
                dedupe_key=f"phase_too_short:{row['id']}", link=link,
            )
        await raise_alert(
            conn, kind="validation_failed", post_code=row["post_code"], object_type="recording",
            object_id=row["id"], title="Проверка записи не пройдена",
            body=f"Фаза {row['phase']}, декларация {row['number']}: "
            + ", ".join(f"{c.name} ({c.detail})" for c in failed),
            dedupe_key=f"validation_failed:{row['id']}", link=link,
        )


def retrying_executor(params: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
    return DatabaseRetryEntrypointExecutor(
        parameters=params, max_attempts=5, initial_delay=timedelta(seconds=2),
        max_delay=timedelta(minutes=5),
    )


def build_queue_manager(conn: asyncpg.Connection, validator: RecordingValidator, concurrency: int) -> QueueManager:
    qm = QueueManager(queries=Queries(AsyncpgDriver(conn)))
    qm.entrypoint(
        VALIDATE_RECORDING, concurrency_limit=concurrency, on_failure="hold",
        executor_factory=retrying_executor,
    )(validator)
    from backend.push.delivery import register as register_push  # alerts' web push

    register_push(qm, validator.pool)
    from media_pipeline.idk_assess import register_idk_assessment  # the X-ray second opinion

    register_idk_assessment(qm, validator)
    return qm


async def run_worker(
    dsn: str,
    store: ObjectStore,
    models: Models | None,
    work_dir: Path,
    *,
    concurrency: int = 2,
    drain: bool = False,
    heartbeat_timeout: timedelta = timedelta(seconds=60),
) -> None:
    from backend.db.pool import connect, open_pool

    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    pool = await open_pool(dsn, max_size=concurrency + 2)
    conn = await connect(dsn)
    try:
        validator = RecordingValidator(pool, store, models, work_dir)
        qm = build_queue_manager(conn, validator, concurrency)
        await qm.run(
            dequeue_timeout=timedelta(seconds=5),
            batch_size=max(1, concurrency),
            mode=QueueExecutionMode.drain if drain else QueueExecutionMode.continuous,
            heartbeat_timeout=heartbeat_timeout,
        )
    finally:
        await conn.close()
        await pool.close()
