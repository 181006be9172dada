"""Continuity: one unbroken, watchable take.

Packet signals (gaps, decode-time jumps, off-cadence keyframes, near-empty packets) are read
without decoding; sampled frames add what only pixels show (cuts, frozen, black, blur).
A content cut alone is only suspicious (a hand over the lens, a whip pan); a cut that
coincides with a timestamp or keyframe anomaly is how two takes joined together look.
"""

from __future__ import annotations

import itertools

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.checks import spans
from media_pipeline.context import MediaSignals, Policy
from media_pipeline.frames import FrameStats

BLACK_LUMA = 30.0
BLACK_CONTRAST = 15.0
# Mean abs luma difference of 80x60 thumbnails. Below STRICT only a stalled feed; up to
# FROZEN_DIFF a still scene looks the same, so the encoder must agree (near-empty packets).
FROZEN_STRICT = 0.1
FROZEN_DIFF = 0.6
FROZEN_SMALL_RATIO = 0.5
FROZEN_SMALL_SHARE = 0.8
CUT_HIST = 0.45  # Bhattacharyya distance of 8x8x8 colour histograms
CUT_DIFF = 6.0  # the histogram does the work; this only rules out noise on flat scenes
BLUR_SHARPNESS = 25.0  # variance of the Laplacian at analysis size
BLUR_FAIL_FRACTION = 0.5
MIN_CLEAN_FRACTION = 0.9
WARN_GAP_S = 0.5


def is_black(f: FrameStats) -> bool:
    return f.luma < BLACK_LUMA and f.contrast < BLACK_CONTRAST


def check(media: MediaSignals, policy: Policy) -> CheckResult:
    frames, pk = media.frames, media.packets
    step = media.sample_interval()
    fails: list[str] = []
    warns: list[str] = []
    fail_times: list[tuple[float, float]] = []
    warn_times: list[tuple[float, float]] = []
    # (code, params) of each finding, failures first when reported: the first names the check
    fail_codes: list[tuple[str, dict[str, ParamValue]]] = []
    warn_codes: list[tuple[str, dict[str, ParamValue]]] = []

    def note(
        bad: bool, text: str, times: list[tuple[float, float]], code: str,
        params: dict[str, ParamValue] | None = None,
    ) -> None:
        (fails if bad else warns).append(text)
        (fail_times if bad else warn_times).extend(times)
        (fail_codes if bad else warn_codes).append((code, params or {}))

    gaps = pk.gaps(min(WARN_GAP_S, policy.max_gap_s))
    if gaps:
        long = [g for g in gaps if g[1] - g[0] >= policy.max_gap_s]
        worst_gap = max(b - a for a, b in gaps)
        note(bool(long), f"{len(gaps)} timestamp gap(s), longest {worst_gap:.1f} s", gaps,
             "timestamp_gap", {"count": len(gaps), "longest_s": round(worst_gap, 1)})

    black = _black_spans(frames, step)
    if black:
        longest = max(b - a for a, b in black)
        note(longest >= policy.black_s, f"black or covered lens {longest:.0f} s", black,
             "black_or_covered", {"longest_s": round(longest)})

    frozen = _frozen_spans(media, policy)
    if frozen:
        longest = max(b - a for a, b in frozen)
        note(longest >= policy.frozen_s, f"frozen picture {longest:.0f} s", frozen,
             "frozen_picture", {"longest_s": round(longest)})

    splices, cuts = _cuts(media, step)
    if splices:
        note(True, f"{len(splices)} splice(s): content cut at a timestamp/keyframe break", splices,
             "splice", {"count": len(splices)})
    if cuts:
        note(False, f"{len(cuts)} abrupt scene change(s)", cuts, "scene_change",
             {"count": len(cuts)})
    if pk.decode_jumps and not splices:
        note(False, "decode timestamps go backwards", [(t, t) for t in pk.decode_jumps],
             "decode_time_backwards", {"count": len(pk.decode_jumps)})

    lit = [f for f in frames if not is_black(f)]
    blurred = [f.t for f in lit if f.sharpness < BLUR_SHARPNESS]
    if blurred:
        fraction = len(blurred) / len(lit)
        blur_spans = [(a, b + step) for a, b in spans(blurred, step)]
        note(fraction > BLUR_FAIL_FRACTION, f"blurred in {fraction:.0%} of samples", blur_spans,
             "blurred", {"percent": round(100 * fraction)})

    defect = fail_times + warn_times
    clean = 1.0 - min(1.0, _covered(defect) / media.duration) if media.duration > 0 else 0.0
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    if verdict == "pass":
        detail = f"{len(frames)} samples every {step:.1f} s, no gap, cut, freeze or blackout"
        code = "unbroken"
        params: dict[str, ParamValue] = {"samples": len(frames), "every_s": round(step, 1)}
    else:
        detail = "; ".join(fails + warns)
        findings = fail_codes + warn_codes
        code, params = findings[0][0], dict(findings[0][1])  # the params of the named one
        params["findings"] = ",".join(c for c, _p in findings)
    return result(
        "continuity", verdict, clean, MIN_CLEAN_FRACTION, detail, fail_times + warn_times,
        code=code, params=params,
    )  # fmt: skip


def _black_spans(frames: tuple[FrameStats, ...], step: float) -> list[tuple[float, float]]:
    # each sample stands for the interval up to the next one
    return [(a, b + step) for a, b in spans([f.t for f in frames if is_black(f)], step)]


def _frozen_spans(media: MediaSignals, policy: Policy) -> list[tuple[float, float]]:
    frames = media.frames
    still: list[tuple[float, float]] = []
    start: float | None = None
    pk = media.packets
    for prev, cur in itertools.pairwise(frames):
        same = not is_black(cur) and (
            cur.diff < FROZEN_STRICT
            or (
                cur.diff < FROZEN_DIFF
                and pk.small_fraction(prev.t, cur.t, FROZEN_SMALL_RATIO) >= FROZEN_SMALL_SHARE
            )
        )
        if same and start is None:
            start = prev.t
        if not same and start is not None:
            still.append((start, prev.t))
            start = None
    if start is not None:
        still.append((start, frames[-1].t))
    # near-empty packets time a freeze precisely between sparse samples, but only where the
    # samples saw no motion: a static scene from a tripod also encodes small
    for a, b in media.packets.tiny_runs(min_s=policy.frozen_s / 2):
        inside = [f for f in frames if a < f.t < b]
        if all(f.diff < FROZEN_DIFF for f in inside):
            still.append((a, b))
    # across a timestamp gap the fps filter repeats the last frame: that is the gap, reported
    gaps = media.packets.gaps(WARN_GAP_S)
    still = [s for s in still if not any(g0 - 1 <= s[0] and s[1] <= g1 + 1 for g0, g1 in gaps)]
    return _merge([s for s in still if s[1] > s[0]])


def _cuts(
    media: MediaSignals, step: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    pk = media.packets
    breaks = list(pk.irregular_keyframes()) + list(pk.decode_jumps)
    breaks += [b for _, b in pk.gaps(max(WARN_GAP_S, 4 * pk.frame_step()))]
    splices: list[tuple[float, float]] = []
    cuts: list[tuple[float, float]] = []
    frames = media.frames
    for prev, cur in itertools.pairwise(frames):
        if is_black(prev) or is_black(cur):
            continue  # covering the lens is reported as black, not as a cut
        if cur.hist_dist < CUT_HIST or cur.diff < CUT_DIFF:
            continue
        lo, hi = prev.t - 0.5, cur.t + 0.5
        (splices if any(lo <= b <= hi for b in breaks) else cuts).append((prev.t, cur.t))
    return splices, cuts


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _covered(intervals: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in _merge(intervals))
