"""NanoDet-m through the real onnxruntime: the shipped file, its manifest and NOTICE, and what
it finds on real photographs shipped by scikit-image and on generated frames."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from skimage import data as photos

from media_pipeline.vision import DEFAULT_MODELS_DIR, ModelIntegrityError, ModelRegistry
from media_pipeline.vision.nanodet import NanoDetDetector, centres, decode_level

MODEL_DIR = DEFAULT_MODELS_DIR / "nanodet"


@pytest.fixture(scope="module")
def detector() -> NanoDetDetector:
    return NanoDetDetector(ModelRegistry(threads=1))


def test_shipped_model_matches_its_manifest_and_carries_its_notice() -> None:
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    blob = (MODEL_DIR / manifest["file"]).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == manifest["sha256"]
    assert manifest["labels"][0] == "person" and len(manifest["labels"]) == 80
    for label in ("car", "truck", "bus", "train"):
        assert label in manifest["labels"]
    assert "Apache" in manifest["licence"] and "MIT" in manifest["licence"]
    notice = (MODEL_DIR / "NOTICE").read_text()
    assert "Apache License, Version 2.0" in notice and "MIT License" in notice
    card = (MODEL_DIR / "CARD.md").read_text()
    assert "COCO" in card and "pallet" in card


def test_finds_the_person_in_a_real_photograph(detector: NanoDetDetector) -> None:
    image = photos.astronaut()  # 512 x 512 RGB, one person filling the left of the frame
    found = detector.detect(image)[0]
    people = [d for d in found if d.label == "person"]
    assert len(people) == 1
    x0, y0, x1, y1 = people[0].box
    assert people[0].score > 0.6
    # she fills the left two thirds, head near the top, cut off by the bottom edge
    assert x0 < 60 and 300 < x1 < 420 and y0 < 80 and y1 > 480


def test_finds_a_vehicle_and_no_person_where_there_is_none(detector: NanoDetDetector) -> None:
    moto = photos.stereo_motorcycle()[0]
    labels = {d.label for d in detector.detect(moto)[0]}
    assert "motorcycle" in labels and "person" not in labels
    cat = photos.chelsea()
    assert "person" not in {d.label for d in detector.detect(cat)[0]}


def test_empty_generated_frames_find_nobody(detector: NanoDetDetector) -> None:
    rng = np.random.default_rng(7)
    frames = np.stack([
        np.full((360, 640, 3), 128, np.uint8),
        np.zeros((360, 640, 3), np.uint8),
        rng.integers(0, 256, (360, 640, 3), dtype=np.uint8),
    ])  # fmt: skip
    assert detector.detect(frames) == [[], [], []]


def test_boxes_come_back_in_frame_pixels_whatever_the_aspect(detector: NanoDetDetector) -> None:
    # the same person letterboxed into a wide frame: the box moves with her, in frame pixels
    image = photos.astronaut()
    wide = np.zeros((512, 1024, 3), np.uint8)
    wide[:, 400:912] = image
    person = next(d for d in detector.detect(wide)[0] if d.label == "person")
    assert 380 < person.box[0] < 470 and person.box[2] < 912


def test_decoder_places_a_box_from_its_distance_bins() -> None:
    side, stride, reg_max = 64, 16, 10
    cells = (side // stride) ** 2
    cls = np.zeros((cells, 3), np.float32)
    cls[5, 2] = 0.9  # cell (1, 1): centre (24, 24)
    reg = np.full((cells, 4 * (reg_max + 1)), -20.0, np.float32)
    for s, bin_ in enumerate((1, 1, 2, 0)):  # left 16, top 16, right 32, bottom 0 px
        reg[5, s * (reg_max + 1) + bin_] = 20.0
    boxes, scores, ids = decode_level(cls, reg, side, stride, reg_max, 0.5)
    assert ids.tolist() == [2] and scores.tolist() == pytest.approx([0.9])
    assert boxes[0].tolist() == pytest.approx([8, 8, 56, 24], abs=1e-3)
    assert centres(side, stride)[5].tolist() == [24.0, 24.0]


def test_a_tampered_detector_is_refused(tmp_path: Path) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "nanodet")
    with (tmp_path / "nanodet" / "model.onnx").open("r+b") as fh:
        fh.seek(4096)
        fh.write(b"\x00" * 16)
    with pytest.raises(ModelIntegrityError):
        NanoDetDetector(ModelRegistry(tmp_path)).detect(np.zeros((64, 64, 3), np.uint8))
