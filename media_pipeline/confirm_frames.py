"""The frames a person needs to confirm or reject an advisory check, stored at validation time.

For every check of a report that `needs_confirmation`, a few JPEG stills at the check's times:
completeness shows the first seconds of the unloading beside its last seconds; recount shows
the frames at the taps (numbered), up to MAX_TAP_FRAMES. They are stored as immutable objects

    confirm/{recording_id}/v{version}/{check}/{i}.jpg   and   .../index.json

where the index lists `{i, t, role, label, key, sha256}`. The API serves them to the post head
(GET /api/recordings/{id}/checks/{check}/frames). A re-run after a crash finds the objects and
keeps them (evidence is never overwritten).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from backend.attestations.keys import frame_key, index_key
from backend.storage.base import ObjectExists, ObjectInfo, ObjectStore
from contract.report import CheckResult, ValidationReport
from media_pipeline import argv
from media_pipeline.ffmpeg import FfmpegError, run

log = logging.getLogger("dosmotr.confirm_frames")
MAX_TAP_FRAMES = 8
WIDTH = 640
EDGE_S = 0.4  # stay this far inside a span: the very last frame of a file may not decode


@dataclass(frozen=True)
class Pick:
    t: float
    role: str  # "start" | "end" | "tap" | "moment"
    label: str


def picks_for(check: CheckResult, duration: float | None = None) -> list[Pick]:
    """Which instants of the take to show for `check` (pure, from the report alone)."""
    times = [(float(a), float(b)) for a, b in check.times]
    end_of_take = duration if duration is not None else max((b for _, b in times), default=0.0)
    if check.name == "completeness" and len(times) >= 2:
        (s0, s1), (e0, e1) = times[0], times[1]
        e1 = min(e1, end_of_take)
        return [
            Pick(max(0.0, s0 + EDGE_S), "start", "start"),
            Pick(max(0.0, (s0 + s1) / 2), "start", "start"),
            Pick(max(0.0, (e0 + e1) / 2), "end", "end"),
            Pick(max(0.0, e1 - EDGE_S), "end", "end"),
        ]
    if check.name in ("recount",):
        taps = sorted({a for a, b in times if a == b})
        numbers = list(range(1, len(taps) + 1))
        if len(taps) > MAX_TAP_FRAMES:  # spread over the take rather than the first few
            idx = np.linspace(0, len(taps) - 1, MAX_TAP_FRAMES).round().astype(int)
            taps, numbers = [taps[i] for i in idx], [numbers[i] for i in idx]
        # what the person checks against: the tap's number, and what the counter saw
        seen = check.params.get("seen")
        extra = f", counter ~{seen}" if seen is not None else ""
        total = numbers[-1] if numbers else 0
        return [Pick(t, "tap", f"tap {k}/{total}{extra}") for k, t in zip(numbers, taps, strict=True)]
    return [Pick((a + b) / 2, "moment", f"{a:.0f}-{b:.0f} s") for a, b in times[:MAX_TAP_FRAMES]]


def grab(path: Path, pick: Pick, tmp: Path, n: int) -> bytes | None:
    """One still at `pick.t` with its label burnt in (blocking: ffmpeg, OpenCV)."""
    out = tmp / f"confirm_{n}.jpg"
    try:
        run(argv.still_jpeg(str(path), str(out), pick.t, WIDTH), timeout=60.0)
    except FfmpegError:
        return None
    img = cv2.imread(str(out)) if out.is_file() and out.stat().st_size else None
    if img is None:
        return None
    text = f"{pick.label}  {pick.t:.1f} s"
    cv2.rectangle(img, (0, 0), (12 + 11 * len(text), 30), (0, 0, 0), -1)
    cv2.putText(img, text, (6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return jpg.tobytes() if ok else None


async def store_frames(
    store: ObjectStore, recording_id: str, version: int, path: Path,
    report: ValidationReport, tmp: Path,
) -> int:  # fmt: skip
    """Store the stills of every check that needs confirmation; returns how many were stored.
    Never raises: a missing still must not cost the recording its report (the head can
    still open the video at the check's times)."""
    stored = 0
    for check in report.checks:
        if not check.needs_confirmation:
            continue
        try:
            stored += await _store_check(store, recording_id, version, path, check, tmp)
        except Exception:
            log.exception("confirmation frames for %s %s failed", recording_id, check.name)
    return stored


async def _store_check(
    store: ObjectStore, recording_id: str, version: int, path: Path, check: CheckResult,
    tmp: Path,
) -> int:  # fmt: skip
    ikey = index_key(recording_id, version, check.name)
    if await store.stat(ikey) is not None:
        return 0  # an earlier, interrupted run finished this check
    entries: list[dict[str, Any]] = []
    for n, pick in enumerate(picks_for(check)):
        jpg = await asyncio.to_thread(grab, path, pick, tmp, n)
        if jpg is None:
            continue
        key = frame_key(recording_id, version, check.name, len(entries))
        info: ObjectInfo | None
        try:
            info = await store.put_bytes(key, jpg, "image/jpeg")
        except ObjectExists:
            info = await store.stat(key)
        if info is None:
            continue
        entries.append({"i": len(entries), "key": key, "sha256": info.sha256} | asdict(pick))
    body = json.dumps({"check": check.name, "version": version, "frames": entries}).encode()
    try:
        await store.put_bytes(ikey, body, "application/json")
    except ObjectExists:
        pass
    return len(entries)
