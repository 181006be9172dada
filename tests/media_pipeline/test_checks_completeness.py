"""Completeness as a pure function of sampled-frame signals and a deterministic fake model:
binding (the post proved the model) it passes and fails on its own; advisory (the default) it
only says what the model leans to and asks a person, pointing at the first and last seconds."""

import numpy as np

from media_pipeline.argv import FramePlan
from media_pipeline.checks import completeness
from media_pipeline.context import MediaSignals
from media_pipeline.frames import FrameStats
from media_pipeline.packets import build
from media_pipeline.probe import ProbeInfo

EMPTY, PARTIAL, LOADED = np.eye(3, dtype=np.float32)


def signals(occupancy: list[np.ndarray] | None, diffs: list[float] | None = None) -> MediaSignals:
    n = len(occupancy) if occupancy is not None else len(diffs or [])
    diffs = diffs or [4.0] * n
    frames = tuple(
        FrameStats(t=2.0 * i, luma=100, contrast=30, sharpness=400, diff=d, hist_dist=0.05)
        for i, d in enumerate(diffs)
    )
    pts = np.arange(0, 2.0 * n, 0.2)
    packets = build(pts, pts, np.full(pts.size, 5000), (np.arange(pts.size) % 10) == 0)
    info = ProbeInfo("mp4", "h264", 320, 240, 5.0, 0, None, 2.0 * n, 0.0, False, None)
    return MediaSignals(
        probe=info, duration=2.0 * n, file_size=0, packets=packets,
        plan=FramePlan("keyframes", 320, 240), frames=frames,
        occupancy=None if occupancy is None else np.stack(occupancy),
    )  # fmt: skip


def test_binding_loaded_then_emptied_passes() -> None:
    occ = [LOADED] * 5 + [PARTIAL] * 5 + [EMPTY] * 5
    r = completeness.check(signals(occ), binding=True)
    assert r.verdict == "pass" and r.score == 1.0 and r.threshold == completeness.EMPTY_AT_END
    assert r.code == "bay_emptied" and not r.needs_confirmation
    assert r.times[-1] == (24.0, 30.0)


def test_binding_cargo_left_at_the_end_fails_on_the_closing_seconds() -> None:
    occ = [LOADED] * 8 + [PARTIAL] * 7
    r = completeness.check(signals(occ), binding=True)
    assert r.verdict == "fail" and "not empty" in r.detail and "partial" in r.detail
    assert r.code == "bay_not_empty_at_end" and r.params["looks"] == "partial"
    assert r.times == ((24.0, 30.0),)


def test_advisory_by_default_an_emptied_bay_asks_a_person_instead_of_passing() -> None:
    occ = [LOADED] * 5 + [PARTIAL] * 5 + [EMPTY] * 5
    r = completeness.check(signals(occ))
    assert r.verdict == "warn" and r.needs_confirmation
    assert r.code == "bay_empty_unconfirmed" and r.params["p_empty_end"] == 1.0
    assert r.params["binding"] is False and r.detail.startswith("advisory")
    # the first seconds beside the last seconds of the take: the frames a person compares
    assert r.times[:2] == ((0.0, completeness.START_WINDOW_S), (24.0, 30.0))


def test_advisory_cargo_left_asks_a_person_instead_of_failing() -> None:
    occ = [LOADED] * 8 + [PARTIAL] * 7
    r = completeness.check(signals(occ))
    assert r.verdict == "warn" and r.needs_confirmation
    assert r.code == "bay_not_empty_unconfirmed" and r.params["looks"] == "partial"
    assert r.params["p_empty_end"] == 0.0


def test_never_loaded_warns() -> None:
    r = completeness.check(signals([EMPTY] * 10), binding=True)
    assert r.verdict == "warn" and "never seen with cargo" in r.detail
    assert r.code == "bay_never_loaded"


def test_long_idle_stretch_still_counts_when_advisory() -> None:
    n = 60  # 120 s take, nothing moves from 20 s to 100 s while cargo is still inside
    occ = [LOADED] * 50 + [EMPTY] * 10
    diffs = [4.0] * 10 + [0.5] * 40 + [4.0] * 10
    for binding in (True, False):
        r = completeness.check(signals(occ, diffs), binding=binding)
        assert len(occ) == n
        assert r.verdict == "warn" and "no visible activity" in r.detail
        assert r.params["idle_s"] >= 60
    assert r.needs_confirmation and (18.0, 98.0) in r.times


def test_without_the_model_it_is_unavailable_not_a_pass() -> None:
    for binding in (True, False):
        r = completeness.check(signals(None, [4.0] * 10), binding=binding)
        assert r.verdict == "unavailable" and "unavailable" in r.detail
        assert r.code == "bay_model_unavailable" and not r.needs_confirmation
