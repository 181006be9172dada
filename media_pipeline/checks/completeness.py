"""Completeness (unloading): the bay is seen loaded, people work through the take, and the
bay is empty at the end. Bay occupancy comes from the vision model (OCCUPANCY_LABELS order);
activity from frame differences, which need no model.

The model decides on its own only when `binding` (the post's policy lists the check and the
model's held-out figures on that post's real footage reach the policy's bar, see
`media_pipeline.vision.registry.binding_checks`). Otherwise it is advisory: the check says what
the model leans to, `warn`s with `needs_confirmation`, and points at the frames a person
needs (the first seconds beside the last seconds of the take), so the model can neither pass
nor fail an unloading by chance. Non-model signals (a long idle stretch) still count.
"""

from __future__ import annotations

import numpy as np

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.context import OCCUPANCY_LABELS, MediaSignals

EMPTY_AT_END = 0.5  # mean P(empty) over the closing samples
LOADED_AT_SOME_POINT = 0.4  # fullness the bay must reach at least once
END_WINDOW_S = 6.0
START_WINDOW_S = 6.0  # the frames that show the bay before the work
ACTIVE_DIFF = 1.5  # mean abs luma difference between samples that counts as something moving
IDLE_MIN_S = 60.0
IDLE_FRACTION = 0.3

_EMPTY = OCCUPANCY_LABELS.index("empty")
_PARTIAL = OCCUPANCY_LABELS.index("partial")
_LOADED = OCCUPANCY_LABELS.index("loaded")


def check(media: MediaSignals, binding: bool = False) -> CheckResult:
    frames, probs = media.frames, media.occupancy
    if not frames:
        return result(
            "completeness", "fail", 0.0, EMPTY_AT_END, "no frames could be sampled",
            code="no_frames",
        )  # fmt: skip
    t = np.array([f.t for f in frames])
    start_span = (0.0, min(START_WINDOW_S, media.duration))
    params: dict[str, ParamValue] = {}
    warns: list[str] = []
    times: list[tuple[float, float]] = []

    idle = _longest_idle(frames, probs, step=media.sample_interval())
    if idle is not None and idle[1] - idle[0] >= max(IDLE_MIN_S, IDLE_FRACTION * media.duration):
        warns.append(f"no visible activity for {idle[1] - idle[0]:.0f} s")
        params["idle_s"] = round(idle[1] - idle[0], 1)
        times.append(idle)

    if probs is None or len(probs) != len(frames):
        detail = "; ".join(["bay occupancy model unavailable: end state not judged", *warns])
        return result(
            "completeness", "unavailable", 0.0, EMPTY_AT_END, detail, [*times, start_span],
            code="bay_model_unavailable", params=params,
        )  # fmt: skip

    fullness = probs[:, _LOADED] + 0.5 * probs[:, _PARTIAL]
    # the last samples, at least two, covering the final seconds of the take
    end_mask = t >= min(media.duration - END_WINDOW_S, t[-2] if t.size > 1 else t[-1])
    empty_end = float(np.mean(probs[end_mask, _EMPTY]))
    end_span = (float(t[end_mask][0]), media.duration)
    looks = OCCUPANCY_LABELS[int(np.argmax(probs[end_mask].mean(axis=0)))]
    peak = int(np.argmax(fullness))
    ever_loaded = float(fullness[peak]) >= LOADED_AT_SOME_POINT
    empty = empty_end >= EMPTY_AT_END
    params |= {
        "p_empty_end": round(empty_end, 3),
        "looks": looks,
        "peak_fullness": round(float(fullness[peak]), 3),
        "peak_t": round(float(t[peak]), 2),
        "binding": binding,
    }
    model_says = (
        f"empty at the end (P(empty) {empty_end:.2f})"
        if empty
        else f"not empty at the end (looks {looks}, P(empty) {empty_end:.2f})"
    )
    if not ever_loaded:
        warns.append("the bay is never seen with cargo in it")

    if not binding:
        # the model is not proven at this post: it may neither pass nor fail the take
        code = "bay_empty_unconfirmed" if empty else "bay_not_empty_unconfirmed"
        detail = "; ".join(
            [f"advisory: the bay model says {model_says}; a person confirms", *warns]
        )
        return result(
            "completeness", "warn", empty_end, EMPTY_AT_END, detail,
            [start_span, end_span, *times], code=code, params=params, needs_confirmation=True,
        )  # fmt: skip

    fails = [] if empty else [f"bay {model_says}"]
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    if fails:
        code, times = "bay_not_empty_at_end", [end_span, *times]
    elif warns:
        code = "no_activity" if "idle_s" in params else "bay_never_loaded"
        times = times or [(0.0, float(t[min(1, t.size - 1)]))]
    else:
        code, times = "bay_emptied", [(float(t[peak]), float(t[peak])), end_span]
    detail = "; ".join(fails + warns) or (
        f"loaded at {t[peak]:.0f} s (fullness {fullness[peak]:.2f}), {model_says}"
    )
    return result(
        "completeness", verdict, empty_end, EMPTY_AT_END, detail, times, code=code, params=params
    )


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
