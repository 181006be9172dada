"""Continuity on real encoded recordings: each defect is made by tests/media.py."""

import dataclasses

import msgspec
import pytest

from media_pipeline.checks import continuity
from media_pipeline.context import MediaSignals
from media_pipeline.frames import FrameMeter, choose_plan, sample
from media_pipeline.packets import read_packets
from media_pipeline.probe import probe
from tests import media

POLICY = media.context().policy


def signals(name: str) -> MediaSignals:
    path = str(media.recording(name))
    info, packets = probe(path), read_packets(path)
    plan = choose_plan(packets.max_keyframe_interval(), info.width, info.height)
    meter = FrameMeter()
    for s in sample(path, plan, float(packets.pts[0]), 60.0):
        meter.add(s)
    return MediaSignals(
        probe=info, duration=packets.duration(), file_size=0, packets=packets, plan=plan,
        frames=tuple(meter.stats),
    )  # fmt: skip


@pytest.mark.parametrize("name", ["unloading.mp4", "unloading.webm", "still.mp4"])
def test_continuous_takes_pass(name: str) -> None:
    r = continuity.check(signals(name), POLICY)
    assert r.verdict == "pass", r.detail
    assert r.score == 1.0


@pytest.mark.parametrize("name", ["frozen.mp4", "frozen.webm"])
def test_frozen_twenty_seconds_fails_where_it_is(name: str) -> None:
    r = continuity.check(signals(name), POLICY)
    assert r.verdict == "fail" and "frozen" in r.detail
    (start, end), *_ = r.times
    assert 8.0 <= start <= 12.0 and 28.0 <= end <= 31.0  # frozen from 10 s to 30 s


def test_black_ten_seconds_fails() -> None:
    r = continuity.check(signals("black.mp4"), POLICY)
    assert r.verdict == "fail" and "black" in r.detail
    (start, end), *_ = r.times
    assert 14.0 <= start <= 17.0 and 24.0 <= end <= 27.0  # black from 15 s to 25 s


def test_two_takes_spliced_fail_at_the_join() -> None:
    r = continuity.check(signals("spliced.mp4"), POLICY)
    assert r.verdict == "fail" and "splice" in r.detail
    assert any(a - 0.5 <= 13.3 <= b + 0.5 for a, b in r.times)  # 13.3 s at 5 fps: 13.2 s


def test_timestamp_gap_fails() -> None:
    r = continuity.check(signals("gap.mp4"), POLICY)
    assert r.verdict == "fail" and "timestamp gap" in r.detail
    assert any(a <= 12.5 and b >= 16.5 for a, b in r.times)


def test_blurred_take_fails() -> None:
    s = signals("unloading.mp4")
    blurred = tuple(dataclasses.replace(f, sharpness=3.0) for f in s.frames)
    r = continuity.check(msgspec.structs.replace(s, frames=blurred), POLICY)
    assert r.verdict == "fail" and "blurred" in r.detail
