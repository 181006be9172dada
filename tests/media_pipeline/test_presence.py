"""The detector's advisory findings: pure functions on per-sample detections, folding into the
host checks, and end to end through `validate` with the shipped NanoDet on a video made from a
real photograph (scikit-image's astronaut) against one with nobody in it."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from skimage import data as photos

from contract.report import result
from media_pipeline.argv import FramePlan
from media_pipeline.checks import presence
from media_pipeline.context import Marker, MediaSignals, Models, SeenObjects
from media_pipeline.frames import FrameStats
from media_pipeline.packets import build
from media_pipeline.probe import ProbeInfo
from media_pipeline.validate import validate
from media_pipeline.vision import BayOccupancyClassifier, CargoCounter, Detection, ModelRegistry
from media_pipeline.vision.nanodet import NanoDetDetector
from tests import media


def signals(duration: float, seen: list[tuple[float, int, int]] | None) -> MediaSignals:
    n = int(duration // 2)
    frames = tuple(
        FrameStats(t=2.0 * i, luma=100, contrast=30, sharpness=400, diff=4.0, hist_dist=0.05)
        for i in range(n)
    )
    pts = np.arange(0, duration, 0.2)
    packets = build(pts, pts, np.full(pts.size, 5000), (np.arange(pts.size) % 10) == 0)
    info = ProbeInfo("mp4", "h264", 320, 240, 5.0, 0, None, duration, 0.0, False, None)
    detections = None if seen is None else tuple(SeenObjects(t, p, v) for t, p, v in seen)
    return MediaSignals(
        probe=info, duration=duration, file_size=0, packets=packets,
        plan=FramePlan("keyframes", 320, 240), frames=frames, detections=detections,
    )  # fmt: skip


def test_summarise_counts_confident_people_and_vehicles_only() -> None:
    found = [
        Detection((0, 0, 1, 1), 0.9, 0, "person"),
        Detection((0, 0, 1, 1), 0.3, 0, "person"),  # below the person floor
        Detection((0, 0, 1, 1), 0.6, 7, "truck"),
        Detection((0, 0, 1, 1), 0.8, 3, "motorcycle"),  # not a vehicle that carries cargo
    ]
    s = presence.summarise(4.0, found)
    assert (s.t, s.people, s.vehicles, s.best_person, s.best_vehicle) == (4.0, 1, 1, 0.9, 0.6)


def test_people_through_the_work_say_nothing() -> None:
    seen = [(t, 2, 0) for t in range(0, 600, 30)]
    assert presence.people_through_unloading(signals(600, seen)) is None


def test_nobody_seen_in_an_unloading_warns() -> None:
    f = presence.people_through_unloading(signals(600, [(t, 0, 0) for t in range(0, 600, 30)]))
    assert f is not None and f.verdict == "warn" and f.code == "no_people_seen"
    assert f.params == {"frames": 20}


def test_a_long_absence_during_the_work_warns_with_its_span() -> None:
    seen = [(t, 0 if 100 <= t <= 330 else 1, 0) for t in range(0, 600, 30)]
    f = presence.people_through_unloading(signals(600, seen))
    assert f is not None and f.code == "people_absent"
    assert f.params["from_s"] == 90 and f.params["to_s"] == 360 and f.times == ((90, 360),)


def test_nobody_in_the_closing_part_is_the_empty_bay_not_an_absence() -> None:
    seen = [(t, 1 if t < 450 else 0, 0) for t in range(0, 600, 30)]
    assert presence.people_through_unloading(signals(600, seen)) is None


def test_taps_with_nobody_in_view_warn() -> None:
    seen = [(4.0, 1, 0), (10.0, 0, 0), (16.0, 0, 0), (30.0, 1, 0)]
    f = presence.people_at_taps([4.0, 10.2, 16.0, 22.0], signals(40, seen))
    # the tap at 22 s has no detector frame near it: not judged
    assert f is not None and f.code == "taps_without_person"
    assert f.params == {"taps": 2, "judged": 3}
    assert presence.people_at_taps([4.0, 30.0], signals(40, seen)) is None


def test_vehicle_absent_from_the_exterior_warns() -> None:
    assert presence.vehicle_in_exterior(signals(20, [(0, 1, 1), (10, 0, 0)])) is None
    f = presence.vehicle_in_exterior(signals(20, [(0, 1, 0), (10, 0, 0)]))
    assert f is not None and f.code == "no_vehicle_seen"


def test_without_a_detector_each_finding_is_unavailable() -> None:
    s = signals(20, None)
    for f in (
        presence.people_through_unloading(s),
        presence.people_at_taps([1.0], s),
        presence.vehicle_in_exterior(s),
    ):
        assert f is not None and f.verdict == "unavailable" and f.code == "detector_unavailable"


def test_fold_is_advisory_never_passing_or_failing_by_itself() -> None:
    passed = result("completeness", "pass", 1.0, 0.5, "ok", [(1, 2)], code="bay_emptied")
    warn = presence.Finding("warn", "no_people_seen", "nobody", {"frames": 3}, ((0, 9),))
    folded = presence.fold(passed, warn)
    assert folded.verdict == "warn" and folded.needs_confirmation
    assert folded.code == "bay_emptied" and folded.params["presence_no_people_seen"] is True
    assert folded.params["presence_frames"] == 3 and folded.times == ((1, 2), (0, 9))
    failed = result("recount", "fail", 0.0, 1.0, "3 tapped, 5 declared", code="taps_differ")
    assert presence.fold(failed, warn).verdict == "fail"
    gone = presence.fold(passed, presence.vehicle_in_exterior(signals(10, None)))
    assert gone.verdict == "pass" and not gone.needs_confirmation
    assert "detector unavailable" in gone.detail and gone.params["presence_about"]
    assert presence.fold(passed, None) == passed


def test_sampler_spreads_frames_and_adds_the_one_at_each_tap() -> None:
    calls: list[int] = []

    def detect(frames: np.ndarray) -> list[list[Detection]]:
        calls.append(int(frames[0, 0, 0, 0]))
        return [[]]

    sampler = presence.DetectorSampler(detect, 100, taps=[21.2], step_s=0.5, max_frames=10)
    for i in range(100):
        sampler.offer(i, i * 0.5, np.full((4, 4, 3), i, np.uint8))
    assert calls == [0, 10, 20, 30, 40, 42, 50, 60, 70, 80, 90]
    seen = sampler.result()
    assert seen is not None and len(seen) == 11
    assert presence.DetectorSampler(None, 100).result() is None


# --- end to end: the shipped detector through validate ----------------------------------


@functools.cache
def _models() -> Models:
    """The shipped models: the phase's own model must be there, or its check is unavailable."""
    registry = ModelRegistry(threads=1)
    return Models(
        occupancy=BayOccupancyClassifier(registry), counter=CargoCounter(registry),
        detector=NanoDetDetector(registry),
    )  # fmt: skip


def _photo_take(tmp: Path, with_person: bool) -> Path:
    """16 s at 5 fps, 640x360: the astronaut photo sliding slowly, or a plain wall."""
    photo = photos.astronaut()[::2, ::2] if with_person else None
    rng = np.random.default_rng(3)
    frames = []
    for i in range(80):
        frame = np.full((360, 640, 3), 150, np.uint8)
        if photo is not None:
            x = 100 + i
            frame[50:306, x : x + 256] = photo
        noise = rng.integers(-4, 5, frame.shape)
        frames.append(np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    out = tmp / ("person.mp4" if with_person else "nobody.mp4")
    return media.encode(frames, out, fps=5, size=(640, 360))


@pytest.mark.parametrize("with_person", [True, False])
def test_unloading_through_validate_finds_people_only_where_they_are(
    tmp_path: Path, with_person: bool
) -> None:
    path = _photo_take(tmp_path, with_person)
    ctx = media.context(
        phase="unloading", duration=16.0, size=path.stat().st_size, min_seconds=5.0,
        min_seconds_per_place=0.0,
    )  # fmt: skip
    report = validate(str(path), ctx, _models())
    check = report.check("completeness")
    assert check is not None
    if with_person:
        assert "presence_no_people_seen" not in check.params
    else:
        assert check.params.get("presence_no_people_seen") is True
        assert "saw nobody" in check.detail and check.verdict != "pass"


def test_recount_through_validate_judges_the_frame_at_each_tap(tmp_path: Path) -> None:
    path = _photo_take(tmp_path, with_person=False)
    taps = tuple(Marker(t=t, kind="place") for t in (3.0, 7.0, 11.0))
    ctx = media.context(
        phase="recount", duration=16.0, size=path.stat().st_size, places=3, markers=taps,
        min_seconds=5.0, min_seconds_per_place=0.0,
    )  # fmt: skip
    report = validate(str(path), ctx, _models())
    check = report.check("recount")
    assert check is not None and check.params.get("presence_taps_without_person") is True
    assert check.params["presence_judged"] == 3


def test_workers_load_the_detector_and_name_it_in_reports(tmp_path: Path) -> None:
    from media_pipeline.validate import models_from_registry

    models = models_from_registry(ModelRegistry(threads=1), with_ocr=False)
    assert models.detector is not None
    assert [name for name, _ in models.refs["detector"]] == ["nanodet"]
    # without the model file the detector is absent, and what depends on it is unavailable
    bare = models_from_registry(ModelRegistry(tmp_path, threads=1), with_ocr=False)
    assert bare.detector is None and "detector" not in bare.refs
