"""The `assess_idk_scan` job: the X-ray model's second opinion on a registered scan.

Enqueued when a scan is registered and again when its links change (a declaration arrives
later, an operator links or unlinks). The image part (regions, load figures) is computed once
per model: a re-run with the same model only re-judges the declared goods. The result is
stored on the scan with an audit event; a `clear` verdict over a flagged image sends the
linked declarations to inspection there and then (`backend.idk.assessment`).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from pgqueuer.models import Job
from pgqueuer.qm import QueueManager

from backend.idk import assessment, assist_repo
from backend.idk.images import open_scan, reduce_pixels
from backend.idk.jobs import ASSESS_IDK_SCAN, AssessIdkScan
from backend.idk.scanners import Calibration, calibration_for_scan
from backend.idk.schemas import Anomaly, Assessment, ImageFigures, ModelRef
from backend.storage.base import ObjectStore
from media_pipeline.vision.registry import ModelRegistry
from media_pipeline.vision.xray import ScannerCalibration, XrayAssistModel

log = logging.getLogger("dosmotr.worker.idk")


def image_opinion(model: XrayAssistModel, path: Path,
                  calibration: Calibration | None = None) -> tuple[list[Anomaly], ImageFigures]:
    """Decode once, box-reduce to about twice the model's input height a strip at a time, run
    the model: one full copy of the pixels (the decoder's) at any moment. Blocking.

    With a calibrated scanner's `calibration` the mass uses its pitch and levels; an
    uncalibrated one (or none registered) reads with the manifest's defaults."""
    model.load()
    with open_scan(path) as im:
        size = im.size
        pixels = reduce_pixels(im, size[1] // (2 * model.height))
    measured, version = None, 0
    if calibration is not None and calibration.calibrated:
        version = calibration.version
        measured = ScannerCalibration(*(float(v or 0.0) for v in (
            calibration.pitch_x_mm, calibration.pitch_y_mm, calibration.air_level,
            calibration.dark_level)))
    result = model.assess(pixels, size, measured)
    f = result.figures
    anomalies = [Anomaly(r.x, r.y, r.w, r.h, r.score, r.kind) for r in result.regions]
    figures = ImageFigures(fill=None if f.fill != f.fill else f.fill, mass_kg=f.mass_kg,
                           bay_fraction=f.bay_fraction, mean_attenuation=f.mean_attenuation,
                           export=f.export, calibrated=f.calibrated,
                           scanner_version=version)
    return anomalies, figures


def _same(a: Assessment, b: Assessment) -> bool:
    """Equal but for the time it was made: a re-run that changes nothing writes nothing."""
    return msgspec.structs.replace(a, assessed_at=b.assessed_at) == b


@dataclass
class IdkAssessor:
    pool: asyncpg.Pool
    store: ObjectStore
    model: XrayAssistModel
    work_dir: Path

    async def __call__(self, job: Job) -> None:
        payload = msgspec.json.decode(job.payload or b"{}", type=AssessIdkScan)
        await self.assess(payload.scan_id, payload.why)

    async def assess(self, scan_id: str, why: str = "registered") -> Assessment | None:
        async with self.pool.acquire() as conn:
            scan = await assist_repo.scan_for_assessment(conn, scan_id)
            if scan is None:
                log.warning("scan %s vanished; job dropped", scan_id)
                return None
            rows = await assist_repo.declared_for_scan(conn, scan_id)
            goods = await assessment.goods_for_scan(conn, scan, rows)
            calibration = await calibration_for_scan(conn, scan["scanner"], scan["post_code"])
        loaded = await asyncio.to_thread(self.model.load)
        ref = ModelRef(loaded.name, loaded.sha256)
        previous = msgspec.convert(scan["assessment"], Assessment) if scan["assessment"] else None
        version = calibration.version if calibration and calibration.calibrated else 0
        if previous is not None and previous.model == ref \
                and previous.image.scanner_version == version:
            anomalies, figures = previous.anomalies, previous.image
        else:  # a new model or a new calibration reads the image again
            anomalies, figures = await self._image_opinion(scan, calibration)
        judged = assessment.judge(ref, anomalies, figures, goods, self.model.thresholds,
                                  datetime.now(UTC))
        if previous is not None and _same(judged, previous):
            return previous
        async with self.pool.acquire() as conn:
            await assessment.store(conn, scan_id, judged, why)
        return judged

    async def _image_opinion(self, scan: Any, calibration: Calibration | None
                             ) -> tuple[list[Anomaly], ImageFigures]:
        key = scan["image_key"]
        path = self.store.local_path(key)
        if path is not None:
            return await asyncio.to_thread(image_opinion, self.model, path, calibration)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            local = Path(tmp) / Path(key).name
            await self.store.download_to(key, local)
            return await asyncio.to_thread(image_opinion, self.model, local, calibration)


def _registry_of(models: Any) -> ModelRegistry:
    """The worker's configured registry (models dir, threads), reached through a model it
    already holds; the shipped models when it holds none."""
    for role in ("occupancy", "counter"):
        registry = getattr(getattr(models, role, None), "registry", None)
        if isinstance(registry, ModelRegistry):
            return registry
    return ModelRegistry()


def register_idk_assessment(qm: QueueManager, validator: Any) -> IdkAssessor:
    """Add the entrypoint to the worker's queue manager (one job at a time per worker: a
    16-bit composition image is tens of MB decoded)."""
    from media_pipeline.worker import retrying_executor

    assessor = IdkAssessor(validator.pool, validator.store,
                           XrayAssistModel(_registry_of(validator.models)), validator.work_dir)
    qm.entrypoint(ASSESS_IDK_SCAN, concurrency_limit=1, on_failure="hold",
                  executor_factory=retrying_executor)(assessor)
    return assessor
