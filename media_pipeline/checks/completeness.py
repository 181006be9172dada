"""Completeness (unloading): the bay is seen loaded, people work through the take, and the
bay is empty at the end. Bay occupancy comes from the vision model (OCCUPANCY_LABELS order);
activity from frame differences, which need no model."""

from __future__ import annotations

import numpy as np

from contract.report import CheckResult, Verdict, result
from media_pipeline.context import OCCUPANCY_LABELS, MediaSignals

EMPTY_AT_END = 0.5  # mean P(empty) over the closing samples
LOADED_AT_SOME_POINT = 0.4  # fullness the bay must reach at least once
END_WINDOW_S = 6.0
ACTIVE_DIFF = 1.5  # mean abs luma difference between samples that counts as something moving
IDLE_MIN_S = 60.0
IDLE_FRACTION = 0.3

_EMPTY = OCCUPANCY_LABELS.index("empty")
_PARTIAL = OCCUPANCY_LABELS.index("partial")
_LOADED = OCCUPANCY_LABELS.index("loaded")


def check(media: MediaSignals) -> CheckResult:
    frames, probs = media.frames, media.occupancy
    if not frames:
        return result("completeness", "fail", 0.0, EMPTY_AT_END, "no frames could be sampled")
    fails: list[str] = []
    warns: list[str] = []
    times: list[tuple[float, float]] = []
    t = np.array([f.t for f in frames])
    step = media.sample_interval()

    idle = _longest_idle(frames, probs, step)
    if idle is not None and idle[1] - idle[0] >= max(IDLE_MIN_S, IDLE_FRACTION * media.duration):
        warns.append(f"no visible activity for {idle[1] - idle[0]:.0f} s")
        times.append(idle)

    if probs is None or len(probs) != len(frames):
        warns.append("bay occupancy model unavailable: end state not verified")
        return result("completeness", "warn", 0.0, EMPTY_AT_END, "; ".join(warns), times)

    fullness = probs[:, _LOADED] + 0.5 * probs[:, _PARTIAL]
    # the last samples, at least two, covering the final seconds of the take
    end_mask = t >= min(media.duration - END_WINDOW_S, t[-2] if t.size > 1 else t[-1])
    empty_end = float(np.mean(probs[end_mask, _EMPTY]))
    end_span = (float(t[end_mask][0]), media.duration)
    if empty_end < EMPTY_AT_END:
        label = OCCUPANCY_LABELS[int(np.argmax(probs[end_mask].mean(axis=0)))]
        fails.append(f"bay not empty at the end (looks {label}, P(empty) {empty_end:.2f})")
        times.append(end_span)

    peak = int(np.argmax(fullness))
    if float(fullness[peak]) < LOADED_AT_SOME_POINT:
        warns.append("the bay is never seen with cargo in it")
        times.append((0.0, float(t[min(1, t.size - 1)])))

    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    detail = "; ".join(fails + warns) or (
        f"loaded at {t[peak]:.0f} s (fullness {fullness[peak]:.2f}), "
        f"empty at the end (P(empty) {empty_end:.2f})"
    )
    if verdict == "pass":
        times = [(float(t[peak]), float(t[peak])), end_span]
    return result("completeness", verdict, empty_end, EMPTY_AT_END, detail, times)


def _longest_idle(
    frames: tuple, probs: np.ndarray | None, step: float
) -> tuple[float, float] | None:
    """Longest run of samples without activity, ignoring the empty bay after the work ended."""
    best: tuple[float, float] | None = None
    start: float | None = None
    for i, f in enumerate(frames):
        empty = probs is not None and len(probs) == len(frames) and probs[i, _EMPTY] >= 0.5
        quiet = i > 0 and f.diff < ACTIVE_DIFF and not empty
        if quiet and start is None:
            start = frames[i - 1].t
        if (not quiet or i == len(frames) - 1) and start is not None:
            end = f.t if quiet else frames[i - 1].t
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
            start = None
    return best
