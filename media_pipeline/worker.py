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

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.storage.base import ObjectExists, ObjectInfo, ObjectStore
from contract.jobs import VALIDATE_RECORDING, ValidateRecording
from contract.report import ValidationReport
from media_pipeline import confirm_frames, jobs_repo
from media_pipeline.availability import unavailable_report
from media_pipeline.context import Models
from media_pipeline.renditions import make_all
from media_pipeline.validate import validate

log = logging.getLogger("dosmotr.worker")
# Tries of a validation job before its report says `unavailable` (the executor's max_attempts).
MAX_ATTEMPTS = 5

RENDITION_KINDS = {  # file suffix made by renditions.make_all -> (kind, content type)
    ".faststart.mp4": ("video", "video/mp4"),
    ".poster.jpg": ("poster", "image/jpeg"),
    ".contact.jpg": ("contact_sheet", "image/jpeg"),
}


class StoreReadError(OSError):
    """The object store did not give back the recording's bytes (a transient failure)."""


@dataclass
class RecordingValidator:
    """Validates one recording per job and writes that job's report version once.

    A failure of the machine (a timeout, a store read error, a killed decoder, a crash) is
    raised so the executor retries with back-off; on the last try the report says
    `unavailable` (never a verdict on the evidence) and the post head is alerted.
    """

    pool: asyncpg.Pool
    store: ObjectStore
    models: Models | None
    work_dir: Path
    max_attempts: int = MAX_ATTEMPTS

    async def __call__(self, job: Job) -> None:
        payload = msgspec.json.decode(job.payload or b"{}", type=ValidateRecording)
        await self.run(payload, last_try=job.attempts >= self.max_attempts, attempts=job.attempts + 1)

    async def run(
        self, job: ValidateRecording, *, last_try: bool, attempts: int = 1
    ) -> ValidationReport | None:
        try:
            return await self.validate_recording(
                job.recording_id, job.version, job.reason, job.requested_by
            )
        except Exception as exc:
            if not last_try:
                log.warning("validating %s failed (try %d), will retry: %s", job.recording_id,
                            attempts, exc)
                raise
            log.exception("validating %s failed on the last try", job.recording_id)
            return await self.give_up(job, exc, attempts)

    async def validate_recording(
        self, recording_id: str, version: int = 1, reason: str | None = None,
        requested_by: str | None = None,
    ) -> ValidationReport | None:
        async with self.pool.acquire() as conn:
            row = await jobs_repo.load_recording(conn, recording_id)
            if row is None:
                log.warning("recording %s vanished; job dropped", recording_id)
                return None
            if await jobs_repo.has_report(conn, recording_id, version):
                return None  # a re-run after a crash: this version's report stands
            await jobs_repo.mark_validating(conn, recording_id)
        ctx = jobs_repo.build_context(row)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            path = await self._fetch(row["object_key"], Path(tmp))
            report = await asyncio.to_thread(validate, str(path), ctx, self.models)
            renditions = await self._renditions(recording_id, path, report, Path(tmp))
            await confirm_frames.store_frames(self.store, recording_id, version, path, report, Path(tmp))
        async with self.pool.acquire() as conn, conn.transaction():
            for kind, key, content_type, size, sha in renditions:
                await jobs_repo.store_rendition(conn, recording_id, kind, key, content_type, size, sha)
            if await jobs_repo.store_report(conn, recording_id, report, version, reason, requested_by):
                await self._record(conn, row, report, version)
        return report

    async def _fetch(self, key: str, tmp: Path) -> Path:
        """The recording's bytes as a local file; any failure of the store is transient."""
        try:
            path = self.store.local_path(key)
            if path is None:
                path = tmp / Path(key).name
                await self.store.download_to(key, path)
        except Exception as exc:
            raise StoreReadError(f"the store could not give back {key}: {exc}") from exc
        if not await asyncio.to_thread(path.is_file):
            raise StoreReadError(f"the store gave no file for {key}")
        return path

    async def give_up(
        self, job: ValidateRecording, exc: BaseException, attempts: int
    ) -> ValidationReport | None:
        """The last try failed: store an `unavailable` report for this version, and alert."""
        async with self.pool.acquire() as conn:
            row = await jobs_repo.load_recording(conn, job.recording_id)
            if row is None or await jobs_repo.has_report(conn, job.recording_id, job.version):
                return None
            try:
                ctx = jobs_repo.build_context(row)
            except (msgspec.ValidationError, KeyError, TypeError, ValueError):
                ctx = None
            report = unavailable_report(row["phase"], ctx, exc, attempts)
            async with conn.transaction():
                if await jobs_repo.store_report(
                    conn, job.recording_id, report, job.version, job.reason, job.requested_by
                ):
                    await self._record(conn, row, report, job.version)
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

    async def _record(
        self, conn: asyncpg.Connection, row: Any, report: ValidationReport, version: int = 1
    ) -> None:
        failed = [c for c in report.checks if c.verdict == "fail"]
        unavailable = [c for c in report.checks if c.verdict == "unavailable"]
        await audit.append(
            conn, actor_id=None, action="recording.validated", object_type="recording",
            object_id=row["id"],
            payload={"verdict": report.verdict, "version": version,
                     "failed": [c.name for c in failed],
                     "unavailable": [c.name for c in unavailable],
                     "pipeline_version": report.pipeline_version,
                     "models": [msgspec.to_builtins(m) for m in report.models]},
        )
        link = f"/inspections/{row['inspection_id']}"
        # one alert per report version (the first version keeps its historical key)
        key = row["id"] if version == 1 else f"{row['id']}:v{version}"
        base = {"phase": row["phase"], "number": row["number"], "version": version}
        if unavailable and not failed:  # a failure is the news; its alert names the rest
            causes = sorted({c.code for c in unavailable if c.code})
            await raise_alert(
                conn, kind="validation_unavailable", post_code=row["post_code"],
                object_type="recording", object_id=row["id"],
                title="Проверка записи не выполнена",
                body=f"Фаза {row['phase']}, декларация {row['number']}: не удалось проверить "
                + ", ".join(c.name for c in unavailable),
                dedupe_key=f"validation_unavailable:{key}", link=link,
                params={**base, "checks": ",".join(c.name for c in unavailable),
                        "causes": ",".join(causes)},
            )
        if not failed:
            return
        if any(c.name == "duration" for c in failed):
            await raise_alert(
                conn, kind="phase_too_short", post_code=row["post_code"], object_type="recording",
                object_id=row["id"], title="Запись короче минимума",
                body=f"Фаза {row['phase']} по декларации {row['number']} короче требуемого.",
                dedupe_key=f"phase_too_short:{key}", link=link, params=base,
            )
        await raise_alert(
            conn, kind="validation_failed", post_code=row["post_code"], object_type="recording",
            object_id=row["id"], title="Проверка записи не пройдена",
            body=f"Фаза {row['phase']}, декларация {row['number']}: "
            + ", ".join(f"{c.name} ({c.detail})" for c in failed),
            dedupe_key=f"validation_failed:{key}", link=link,
            params={**base, "checks": ",".join(c.name for c in failed),
                    "codes": ",".join(c.code for c in failed if c.code),
                    "unavailable": ",".join(c.name for c in unavailable)},
        )


def retrying_executor(params: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
    return DatabaseRetryEntrypointExecutor(
        parameters=params, max_attempts=MAX_ATTEMPTS, initial_delay=timedelta(seconds=2),
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
    from backend.integration.delivery import register as register_webhooks  # issue 14

    register_webhooks(qm, validator.pool)
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
    """Run jobs until stopped or drained (media_pipeline/runner.py: stop, release, reconnect)."""
    from media_pipeline.runner import run_worker as run

    await run(dsn, store, models, work_dir, concurrency=concurrency, drain=drain,
              heartbeat_timeout=heartbeat_timeout)
