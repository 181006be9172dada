"""`validate(path, ctx, models)`: probe → packet signals → sampled frames → checks → report.

Synchronous and self-contained: the worker calls it in a thread. Frames stream through once;
only per-sample numbers (a few floats each) are kept, so memory does not depend on length.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from contract.report import (
    CheckResult,
    ModelRef,
    ParamValue,
    ValidationReport,
    build_report,
    result,
)
from media_pipeline import frames as fr
from media_pipeline.availability import (
    ModelsMissing,
    mark_unavailable,
    missing_reason,
    not_run,
    require_models,
)
from media_pipeline.checks import (
    PHASE_CHECKS,
    completeness,
    continuity,
    duration,
    geotag,
    identity,
    integrity,
    presence,
    recount,
)
from media_pipeline.context import CheckContext, MediaSignals, Models
from media_pipeline.ffmpeg import FfmpegError, FfmpegTransient
from media_pipeline.packets import Packets, read_packets
from media_pipeline.probe import ProbeError, ProbeInfo, probe
from media_pipeline.vision.registry import binding_for

BATCH = 32
OCR_MAX_FRAMES = 8
OCR_SIDE = 960  # container numbers need pixels; other phases analyse at frames.ANALYSIS_SIDE
RECOUNT_FPS = 2.0  # a tap's motion lasts a second or two: keyframes every 2 s could miss it


__all__ = ["ModelsMissing", "decode_timeout", "models_from_registry", "require_models", "validate"]


def decode_timeout(duration: float) -> float:
    """The budget of decoding alone (frames.sample pauses it while OCR and models run):
    generous, since 10x slower than real time is already a broken machine."""
    return max(60.0, duration * 2.0)


def validate(path: str, ctx: CheckContext, models: Models | None = None) -> ValidationReport:
    models = models or Models()
    file_size = os.path.getsize(path) if os.path.exists(path) else None
    try:
        info = probe(path)
        packets = read_packets(path)
        if packets.count == 0:
            raise ProbeError("no video packets in the file")
    except FfmpegTransient:
        raise  # a timeout or a killed process says nothing of the file: the worker retries
    except (ProbeError, FfmpegError) as exc:
        return _unreadable(ctx, str(exc), file_size)

    dur = packets.duration() or info.header_duration or 0.0
    need_ocr = ctx.phase == "exterior" and models.ocr is not None
    plan = fr.choose_plan(
        packets.max_keyframe_interval(), info.width, info.height,
        max_side=OCR_SIDE if need_ocr else fr.ANALYSIS_SIDE,
        min_fps=RECOUNT_FPS if ctx.phase in ("recount", "opening") else None,
    )  # fmt: skip
    try:
        measured = _measure(path, ctx, models, info, packets, plan, dur)
    except FfmpegTransient:
        raise
    except FfmpegError as exc:
        return _unreadable(ctx, f"undecodable: {exc}", file_size)
    if not measured["stats"]:
        return _unreadable(ctx, "no frame could be decoded", file_size)

    media = MediaSignals(
        probe=info, duration=dur, file_size=file_size or 0, packets=packets, plan=plan,
        frames=tuple(measured["stats"]), occupancy=measured["occupancy"],
        counts=measured["counts"], texts=tuple(measured["texts"]),
        detections=measured["detections"],
    )  # fmt: skip
    checks = [
        _probe_result(info, packets, dur, plan),
        integrity.check(ctx, file_size, dur),
        duration.check(ctx, dur),
        continuity.check(media, ctx.policy),
        geotag.check(ctx.manifest.track, dur, ctx.policy),
    ]
    extra = PHASE_CHECKS[ctx.phase]
    if "completeness" in extra:
        binding = binding_for("completeness", models.occupancy, ctx.post_code,
                              ctx.policy.binding_checks, ctx.policy.binding_bar)
        checks.append(presence.fold(completeness.check(media, binding),
                                    presence.people_through_unloading(media)))
    if "recount" in extra:
        taps_kind = "item" if ctx.phase == "opening" else "place"
        at_taps = presence.people_at_taps(
            recount.effective_taps(ctx.manifest.markers, taps_kind), media
        )
        binding = binding_for("recount", models.counter, ctx.post_code,
                              ctx.policy.binding_checks, ctx.policy.binding_bar)
        checks.append(presence.fold(recount.check(ctx, media, binding), at_taps))
    if "identity" in extra:
        checks.append(identity.check(media, ctx.declaration, models.ocr is not None,
                                     ctx.policy.identity_unread))
    return build_report(mark_unavailable(checks, ctx.phase, models), _refs(models, measured["roles"]))


def _measure(
    path: str, ctx: CheckContext, models: Models, info: ProbeInfo, packets: Packets,
    plan: fr.FramePlan, dur: float,
) -> dict[str, Any]:  # fmt: skip
    meter = fr.FrameMeter()
    want_occ = ctx.phase == "unloading" and models.occupancy is not None
    want_cnt = ctx.phase == "recount" and models.counter is not None
    occ = _Batched(models.occupancy.predict if want_occ and models.occupancy else None)
    cnt = _Batched(models.counter.count if want_cnt and models.counter else None)
    texts: list[tuple[float, str]] = []
    expected = packets.keyframes.size if plan.mode == "keyframes" else dur * plan.fps
    stride = max(1, math.ceil(expected / OCR_MAX_FRAMES))
    ocr_done = ctx.phase != "exterior" or models.ocr is None
    start = float(packets.pts[0]) if packets.count else info.start_time
    taps = [m.t for m in ctx.manifest.markers if m.kind != "undo"]
    det = presence.DetectorSampler(
        models.detector.detect if models.detector is not None else None, expected,
        taps if ctx.phase in ("recount", "opening") else (),
        1.0 / plan.fps if plan.mode == "fps" and plan.fps else 1.0,
    )  # fmt: skip
    for i, s in enumerate(fr.sample(path, plan, start, decode_timeout(dur))):
        rgb = s.rgb
        if plan.width > fr.ANALYSIS_SIDE or plan.height > fr.ANALYSIS_SIDE:
            meter.add(fr.Sample(s.t, _shrink(rgb)))
        else:
            meter.add(s)
        occ.add(rgb)
        cnt.add(rgb)
        det.offer(i, s.t, rgb)
        if not ocr_done and i % stride == 0 and models.ocr is not None:
            texts += [(s.t, line) for line in models.ocr.read(rgb)]
            ocr_done = identity.all_found(texts, ctx.declaration)
    occupancy, counts = occ.result(2), cnt.result(1)  # flushes the last partial batches
    roles = [r for r, b in (("occupancy", occ), ("counter", cnt)) if b.used]
    if ctx.phase == "exterior" and models.ocr is not None:
        roles.append("ocr")
    if det.used:
        roles.append("detector")
    return {
        "stats": meter.stats,
        "occupancy": occupancy,
        "counts": counts,
        "texts": texts,
        "detections": det.result(),
        "roles": roles,
    }


def _shrink(rgb: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = fr.ANALYSIS_SIDE / max(h, w)
    size = (max(2, int(w * scale)), max(2, int(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


class _Batched:
    """Collects frames into batches for a model and keeps only its (small) outputs."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray] | None) -> None:
        self.fn = fn
        self.pending: list[np.ndarray] = []
        self.outputs: list[np.ndarray] = []
        self.used = False

    def add(self, rgb: np.ndarray) -> None:
        if self.fn is None:
            return
        self.pending.append(rgb)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.fn is not None and self.pending:
            self.outputs.append(np.asarray(self.fn(np.stack(self.pending)), np.float32))
            self.used = True
            self.pending = []

    def result(self, ndim: int) -> np.ndarray | None:
        self.flush()
        if not self.outputs:
            return None
        out = np.concatenate(self.outputs)
        return out.reshape(-1) if ndim == 1 else out


def _probe_result(info: ProbeInfo, packets: Packets, dur: float, plan: fr.FramePlan) -> CheckResult:
    header = info.header_duration
    where = "header" if header else "stream (no duration in the header)"
    detail = (
        f"{info.codec} {info.width}x{info.height} {info.fps:.3g} fps, {dur:.1f} s from the {where}, "
        f"{info.container.split(',')[0]}; sampled {plan.mode}"
        + (f" at {plan.fps:g} fps" if plan.mode == "fps" else "")
    )
    params: dict[str, ParamValue] = {
        "codec": info.codec, "width": info.width, "height": info.height,
        "fps": round(info.fps, 3), "duration_s": round(dur, 1),
    }  # fmt: skip
    if header and abs(header - dur) > max(1.0, 0.02 * dur):
        return result(
            "probe", "warn", dur / header, 1.0,
            f"{detail}; header says {header:.1f} s but packets span {dur:.1f} s",
            code="header_duration_mismatch", params={**params, "header_s": round(header, 1)},
        )  # fmt: skip
    return result("probe", "pass", 1.0, 1.0, detail, code="decodable", params=params)


def _unreadable(ctx: CheckContext, reason: str, file_size: int | None) -> ValidationReport:
    checks = [
        result("probe", "fail", 0.0, 1.0, reason, code="unreadable", params={"reason": reason}),
        integrity.check(ctx, file_size, None),
    ]
    checks += not_run(ctx.phase, checks, "not_run_unreadable", "not run: the file is unreadable")
    return build_report(checks)


def _refs(models: Models, roles: list[str]) -> list[ModelRef]:
    out: list[ModelRef] = []
    for role in roles:
        for name, sha in models.refs.get(role, ()):
            if all(r.name != name for r in out):
                out.append(ModelRef(name=name, sha256=sha))
    return out


def models_from_registry(registry: Any, with_ocr: bool = True) -> Models:
    """Wire the vision loader's models (and OCR) for `validate`; loads and warms each once."""
    from media_pipeline.vision.classifier import BayOccupancyClassifier
    from media_pipeline.vision.counter import CargoCounter
    from media_pipeline.vision.nanodet import NanoDetDetector
    from media_pipeline.vision.registry import ModelError, ModelRegistry

    refs: dict[str, tuple[tuple[str, str], ...]] = {}
    missing: dict[str, str] = {}
    codes: dict[str, str] = {}
    probe_frame = np.zeros((1, 64, 64, 3), np.uint8)
    loaded: dict[str, Any] = {}
    # the detector runs one frame at a time, where a second thread costs twice the CPU
    # (bench/pipeline.py): its session gets one
    single = ModelRegistry(registry.models_dir, threads=1)
    for role, reg, model, call in (
        ("occupancy", registry, (m := BayOccupancyClassifier(registry)), m.predict),
        ("counter", registry, (c := CargoCounter(registry)), c.count),
        ("detector", single, (d := NanoDetDetector(single)), d.detect),
    ):
        before = set(reg.models_used())
        try:
            call(probe_frame)  # loads and warms the session once, before any real video
        except ModelError as exc:
            missing[role] = str(exc)  # its checks say `unavailable`; require_models refuses
            codes[role] = missing_reason(exc, role)
            continue
        loaded[role] = model
        refs[role] = tuple(sorted(set(reg.models_used()) - before))
    ocr = None
    if with_ocr:
        try:
            reader = identity.RapidOcrReader()
            refs["ocr"] = tuple(reader.model_refs())
            reader.read(np.full((64, 128, 3), 255, np.uint8))  # loads and warms the engine
            ocr = reader
        except Exception as exc:  # noqa: BLE001  (ImportError, missing model files, a broken wheel)
            missing["ocr"] = f"{type(exc).__name__}: {exc}"
            codes["ocr"] = missing_reason(exc, "ocr")
            refs.pop("ocr", None)
    else:
        missing["ocr"] = "OCR not wired (with_ocr=False)"
        codes["ocr"] = "not_loaded"
    return Models(
        occupancy=loaded.get("occupancy"), counter=loaded.get("counter"), ocr=ocr,
        detector=loaded.get("detector"), refs=refs, missing=missing,
        missing_codes=codes,
    )
