"""Recount: the inspector's taps (minus undos) against the declared places and the places the
counter model sees; every tap must sit near visible motion (a place being handled)."""

from __future__ import annotations

import itertools

import numpy as np

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.context import CheckContext, Marker, MediaSignals

MOTION_MIN_DIFF = 2.0
MOTION_OVER_QUIET = 1.5  # motion = this many times the quiet (20th percentile) difference
TAP_WINDOW_S = 1.5
UNSUPPORTED_WARN = 0.2
# The counter's error on held-out frames is about one place (models/cargo_counter/CARD.md);
# it speaks only beyond the policy tolerance plus that error, and asks a person unless binding.
MODEL_MARGIN_MIN = 1
MODEL_MARGIN_FRACTION = 0.1


def effective_taps(markers: tuple[Marker, ...], kind: str) -> list[float]:
    """Times of taps of `kind` still standing after undos; an undo cancels the latest tap."""
    stack: list[tuple[str, float]] = []
    for m in sorted(markers, key=lambda m: m.t):
        if m.kind == "undo":
            if stack:
                stack.pop()
        else:
            stack.append((m.kind, m.t))
    return [t for k, t in stack if k == kind]


def places_seen(counts: np.ndarray | None) -> int | None:
    """Places the counter saw: the upper quartile over the take, as places are set out and
    sometimes hidden by people, without letting one miscounted frame decide."""
    if counts is None or counts.size == 0:
        return None
    return round(float(np.percentile(counts, 75)))


def unsupported_taps(taps: list[float], media: MediaSignals) -> list[float]:
    frames = media.frames
    if len(frames) < 2:
        return list(taps)
    diffs = np.array([f.diff for f in frames[1:]])
    quiet = float(np.percentile(diffs, 20))
    # a take that is never quiet (handheld, people about) counts any change as motion;
    # otherwise motion must stand out from the quiet level
    moving = MOTION_MIN_DIFF
    if quiet < MOTION_MIN_DIFF:
        moving = max(MOTION_MIN_DIFF, quiet * MOTION_OVER_QUIET)
    window = max(TAP_WINDOW_S, media.sample_interval())
    out = []
    for tap in taps:
        near = [
            cur.diff
            for prev, cur in itertools.pairwise(frames)
            if cur.t >= tap - window and prev.t <= tap + window
        ]
        if not near or max(near) < moving:
            out.append(tap)
    return out


def check(ctx: CheckContext, media: MediaSignals, binding: bool = False) -> CheckResult:
    """Taps against the declaration decide (no model there). The counter's places decide only
    when `binding` (the post proved the counter on its own footage); otherwise a disagreement
    asks a person to look at the frames at the taps (`needs_confirmation`)."""
    kind = "item" if ctx.phase == "opening" else "place"
    taps = effective_taps(ctx.manifest.markers, kind)
    fails: list[tuple[str, str]] = []  # (code, text)
    warns: list[tuple[str, str]] = []
    times: list[tuple[float, float]] = []
    tol = ctx.policy.count_tolerance
    confirm = False

    declared = ctx.declaration.places if kind == "place" else None
    params: dict[str, ParamValue] = {"taps": len(taps), "tolerance": tol, "binding": binding}
    if declared is not None:
        params["declared"] = declared
    if declared is not None and abs(len(taps) - declared) > tol:
        fails.append(("taps_differ_from_declared",
                      f"{len(taps)} places tapped, {declared} declared (tolerance {tol})"))
        times.append((0.0, media.duration))

    seen = places_seen(media.counts) if kind == "place" else None
    if kind == "place":
        if seen is None:
            warns.append(("counter_unavailable", "cargo counter model unavailable"))
        else:
            params["seen"] = seen
            margin = tol + max(MODEL_MARGIN_MIN, round(MODEL_MARGIN_FRACTION * (declared or 0)))
            if declared is not None and abs(seen - declared) > margin:
                text = f"counter model sees about {seen} places, {declared} declared"
                if binding:
                    fails.append(("places_seen_differ", text))
                else:
                    warns.append(("places_seen_unconfirmed", f"advisory: {text}; a person confirms"))
                    confirm = True
                    times += [(t, t) for t in taps]  # the frames at the taps, for that person

    lonely = unsupported_taps(taps, media)
    if taps and len(lonely) / len(taps) > UNSUPPORTED_WARN:
        warns.append(("taps_without_motion",
                      f"{len(lonely)} of {len(taps)} taps without visible motion nearby"))
        params["taps_without_motion"] = len(lonely)
        times += [(max(0.0, t - TAP_WINDOW_S), t + TAP_WINDOW_S) for t in lonely]
    if not taps:
        warns.append(("no_taps", f"no {kind} taps recorded"))

    reference = declared if declared else max(len(taps), 1)
    score = len(taps) / reference if reference else 0.0
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    seen_text = f", counter sees {seen}" if seen is not None else ""
    findings = fails + warns
    detail = "; ".join(text for _, text in findings) or (
        f"{len(taps)} {kind} taps match {declared if declared is not None else 'the count'}"
        f"{seen_text}; every tap near motion"
    )
    if verdict == "pass":
        times = [(t, t) for t in taps]
    code = findings[0][0] if findings else "recount_matches"
    return result(
        "recount", verdict, score, 1.0, detail, times, code=code, params=params,
        needs_confirmation=confirm and verdict == "warn",
    )  # fmt: skip
