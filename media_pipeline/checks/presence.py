"""What the people / vehicle detector (NanoDet-m, COCO) adds to the checks: advisory evidence.

Pure functions of the per-sample detections in `MediaSignals.detections`:
- `people_through_unloading`: people are seen, and not absent for long while the work runs;
- `people_at_taps`: a person is in view at each recount tap;
- `vehicle_in_exterior`: a vehicle (car, truck, bus, train) is in the exterior take.

The detector is a COCO model never evaluated on customs footage (models/nanodet/CARD.md), so a
finding can only add a `warn` that asks a person to confirm; it never passes or fails a check
on its own. Without the detector (`detections is None`) a finding is `unavailable`, which
`fold` records in the host check's params and detail without changing its verdict, since the
host's verdict never depended on it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol

import msgspec
import numpy as np

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.context import MediaSignals, SeenObjects

PERSON_MIN_SCORE = 0.5  # stricter than the decoder's floor: a false "person" hides absence
VEHICLE_MIN_SCORE = 0.4
VEHICLE_LABELS = frozenset({"car", "truck", "bus", "train"})
# the work is judged over the take but its closing part, where an empty bay is filmed alone
WORK_FRACTION = 0.8
ABSENT_MIN_S = 120.0
ABSENT_FRACTION = 0.4
TAP_WINDOW_S = 1.5
TAPS_WITHOUT_PERSON_WARN = 0.2
# 15 CPU-ms a frame on one thread: 16 spread frames (one every ~40 s of a 10-min take, enough
# to see a 2-min absence) + one per tap keep validation inside its budget (bench/pipeline.py
# prints the figure with the detector on and off)
DETECT_MAX_FRAMES = 16
DETECT_MAX_TAPS = 300


class DetectionLike(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...


class Finding(msgspec.Struct, frozen=True):
    verdict: Literal["warn", "unavailable"]
    code: str
    detail: str
    params: dict[str, ParamValue] = {}
    times: tuple[tuple[float, float], ...] = ()


def summarise(t: float, found: Iterable[DetectionLike]) -> SeenObjects:
    """One sampled frame's detections as the few numbers the checks read."""
    found = list(found)
    people = [d.score for d in found if d.label == "person" and d.score >= PERSON_MIN_SCORE]
    vehicles = [
        d.score for d in found if d.label in VEHICLE_LABELS and d.score >= VEHICLE_MIN_SCORE
    ]
    return SeenObjects(
        t=round(float(t), 3), people=len(people), vehicles=len(vehicles),
        best_person=round(max(people, default=0.0), 3),
        best_vehicle=round(max(vehicles, default=0.0), 3),
    )  # fmt: skip


class DetectorSampler:
    """Which sampled frames the detector sees, within the validation budget: about
    `max_frames` spread over the take, plus the sample nearest each tap (recount)."""

    def __init__(
        self, detect: Callable[[np.ndarray], list[list[Any]]] | None, expected_samples: float,
        taps: Sequence[float] = (), step_s: float = 1.0, max_frames: int = DETECT_MAX_FRAMES,
    ) -> None:  # fmt: skip
        self.detect = detect
        self.stride = max(1, math.ceil(expected_samples / max(1, max_frames)))
        self.taps = sorted(taps)[:DETECT_MAX_TAPS]
        self.half_step = max(step_s, 1e-3) / 2
        self.seen: list[SeenObjects] = []

    def offer(self, index: int, t: float, rgb: np.ndarray) -> None:
        if self.detect is None:
            return
        at_tap = any(abs(t - tap) <= self.half_step for tap in self.taps)
        if index % self.stride == 0 or at_tap:
            self.seen.append(summarise(t, self.detect(rgb[None])[0]))

    @property
    def used(self) -> bool:
        return bool(self.seen)

    def result(self) -> tuple[SeenObjects, ...] | None:
        return tuple(self.seen) if self.detect is not None else None


def _unavailable(what: str) -> Finding:
    return Finding(
        "unavailable", "detector_unavailable",
        f"people/vehicle detector unavailable: {what} not checked", {"about": what},
    )  # fmt: skip


def people_through_unloading(media: MediaSignals) -> Finding | None:
    seen = media.detections
    if seen is None:
        return _unavailable("people at work")
    if not seen:
        return None
    work_end = media.duration * WORK_FRACTION
    sightings = [s.t for s in seen if s.people > 0]
    if not sightings:
        return Finding(
            "warn", "no_people_seen",
            f"the detector saw nobody in {len(seen)} sampled frames of the unloading",
            {"frames": len(seen)}, ((0.0, media.duration),),
        )  # fmt: skip
    # the longest stretch of the work with nobody in view, from the start to the work's end
    edges = [0.0, *(t for t in sightings if t < work_end), work_end]
    gap, start = max((b - a, a) for a, b in itertools.pairwise(edges))
    if gap >= max(ABSENT_MIN_S, ABSENT_FRACTION * media.duration):
        return Finding(
            "warn", "people_absent",
            f"nobody in view for {gap:.0f} s of the unloading ({start:.0f}-{start + gap:.0f} s)",
            {"seconds": round(gap), "from_s": round(start, 1), "to_s": round(start + gap, 1)},
            ((start, start + gap),),
        )  # fmt: skip
    return None


def people_at_taps(taps: Sequence[float], media: MediaSignals) -> Finding | None:
    seen = media.detections
    if seen is None:
        return _unavailable("a person at each tap")
    judged, alone = 0, []
    for tap in taps:
        near = [s for s in seen if abs(s.t - tap) <= TAP_WINDOW_S]
        if not near:
            continue  # no detector frame near this tap: not judged
        judged += 1
        if all(s.people == 0 for s in near):
            alone.append(tap)
    if judged and len(alone) / judged > TAPS_WITHOUT_PERSON_WARN:
        return Finding(
            "warn", "taps_without_person",
            f"{len(alone)} of {judged} taps with nobody in view",
            {"taps": len(alone), "judged": judged},
            tuple((max(0.0, t - TAP_WINDOW_S), t + TAP_WINDOW_S) for t in alone),
        )  # fmt: skip
    return None


def vehicle_in_exterior(media: MediaSignals) -> Finding | None:
    seen = media.detections
    if seen is None:
        return _unavailable("a vehicle in view")
    if seen and not any(s.vehicles for s in seen):
        return Finding(
            "warn", "no_vehicle_seen",
            f"the detector saw no vehicle in {len(seen)} sampled frames of the exterior",
            {"frames": len(seen)}, ((0.0, media.duration),),
        )  # fmt: skip
    return None


def fold(check: CheckResult, finding: Finding | None) -> CheckResult:
    """The host check with an advisory finding added: a `warn` lowers a `pass` to `warn` and
    asks for confirmation; a `fail` stays a fail; `unavailable` only notes itself."""
    if finding is None:
        return check
    params = dict(check.params)
    params[f"presence_{finding.code}"] = True
    params.update({f"presence_{k}": v for k, v in finding.params.items()})
    detail = f"{check.detail}; {finding.detail}" if check.detail else finding.detail
    if finding.verdict == "unavailable":
        return result(
            check.name, check.verdict, check.score, check.threshold, detail, check.times,
            code=check.code, params=params, needs_confirmation=check.needs_confirmation,
        )  # fmt: skip
    verdict: Verdict = "warn" if check.verdict == "pass" else check.verdict
    return result(
        check.name, verdict, check.score, check.threshold, detail,
        [*check.times, *finding.times],
        code=check.code or finding.code, params=params,
        needs_confirmation=check.needs_confirmation or verdict == "warn",
    )  # fmt: skip
