import numpy as np
from msgspec.structs import replace

from media_pipeline.checks import recount
from media_pipeline.context import Marker
from tests import media
from tests.media_pipeline.test_checks_completeness import signals


def taps(*ts: float, kind: str = "place") -> tuple[Marker, ...]:
    return tuple(Marker(t=t, kind=kind) for t in ts)  # type: ignore[arg-type]


def test_undo_cancels_the_latest_tap() -> None:
    markers = taps(1, 2, 3) + (Marker(t=3.5, kind="undo"),) + taps(5)
    assert recount.effective_taps(markers, "place") == [1, 2, 5]


def test_taps_equal_declared_and_counter_agrees_passes() -> None:
    ctx = media.context(phase="recount", places=3, markers=taps(4, 10, 16))
    s = replace(signals(None, [4.0] * 12), counts=np.array([1, 2, 3, 3, 3, 2] * 2, np.float32))
    r = recount.check(ctx, s)
    assert r.verdict == "pass", r.detail
    assert r.code == "recount_matches" and r.params == {
        "taps": 3, "tolerance": 0, "binding": False, "declared": 3, "seen": 3,
    }
    assert r.times == ((4, 4), (10, 10), (16, 16))


def test_taps_differ_from_declared_fails() -> None:
    ctx = media.context(phase="recount", places=5, markers=taps(4, 10, 16))
    s = replace(signals(None, [4.0] * 12), counts=np.full(12, 5, np.float32))
    r = recount.check(ctx, s)
    assert r.verdict == "fail" and "3 places tapped, 5 declared" in r.detail


def test_tolerance_from_policy() -> None:
    ctx = media.context(phase="recount", places=4, markers=taps(4, 10, 16), count_tolerance=1)
    s = replace(signals(None, [4.0] * 12), counts=np.full(12, 4, np.float32))
    assert recount.check(ctx, s).verdict == "pass"


def test_counter_disagreeing_warns() -> None:
    ctx = media.context(phase="recount", places=3, markers=taps(4, 10, 16))
    s = replace(signals(None, [4.0] * 12), counts=np.full(12, 7, np.float32))
    r = recount.check(ctx, s)
    assert r.verdict == "warn" and "sees about 7" in r.detail
    # advisory by default: a person looks at the frames at the taps
    assert r.needs_confirmation and r.code == "places_seen_unconfirmed"
    assert r.params["seen"] == 7 and r.params["declared"] == 3
    assert {(4, 4), (10, 10), (16, 16)} <= set(r.times)


def test_counter_disagreeing_fails_only_when_binding() -> None:
    ctx = media.context(phase="recount", places=3, markers=taps(4, 10, 16))
    s = replace(signals(None, [4.0] * 12), counts=np.full(12, 7, np.float32))
    r = recount.check(ctx, s, binding=True)
    assert r.verdict == "fail" and r.code == "places_seen_differ" and not r.needs_confirmation


def test_taps_mismatch_fails_whatever_the_model_and_needs_no_confirmation() -> None:
    ctx = media.context(phase="recount", places=5, markers=taps(4, 10, 16))
    s = replace(signals(None, [4.0] * 12), counts=np.full(12, 9, np.float32))
    r = recount.check(ctx, s)
    assert r.verdict == "fail" and r.code == "taps_differ_from_declared"
    assert not r.needs_confirmation


def test_taps_in_still_stretches_warn() -> None:
    diffs = [0.4] * 12
    diffs[2] = 6.0  # something moved between 2 s and 4 s only
    ctx = media.context(phase="recount", places=3, markers=taps(3, 12, 20))
    s = replace(signals(None, diffs), counts=np.full(12, 3, np.float32))
    r = recount.check(ctx, s)
    assert r.verdict == "warn" and "2 of 3 taps without visible motion" in r.detail
