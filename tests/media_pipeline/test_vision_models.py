"""The shipped vision models through the real onnxruntime: manifests, integrity, accuracy on
held-out synthetic scenes, and the generic YOLO path on a tiny model built here."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.vision import (
    DEFAULT_MODELS_DIR,
    OCCUPANCY_LABELS,
    BayOccupancyClassifier,
    CargoCounter,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelRegistry,
    YoloDetector,
)
from media_pipeline.vision.registry import MIN_PROOF_N, binding_checks, binding_for, proven_at
from media_pipeline.vision.yolo import batched_nms, letterbox, nms
from models.training import scenes

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("bay_occupancy", "cargo_counter")
# Master seed for the test's own held-out draw: not the trainers' (101, 202) nor the cards'
# (90001, 90002); its scenes take seeds >= HOLDOUT_SEED_BASE, which training never used.
TEST_SEED = 424242
COUNTER_MAE_BOUND = 2.0  # places; the card's figure on 900 frames is well below this


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry(threads=1)


def _holdout(n: int, balanced: bool) -> list[scenes.Scene]:
    rng = np.random.default_rng(TEST_SEED)
    out = []
    for i in range(n):
        plan = scenes.sample_plan(rng, scenes.LABELS[i % 3] if balanced else None, holdout=True)
        assert plan.rng_seed >= scenes.HOLDOUT_SEED_BASE
        out.append(
            scenes.compose_scene(
                plan.rng_seed,
                plan.kind,
                plan.fill_fraction,
                plan.n_places_visible,
                plan.t,
                plan.size,
            )
        )
    return out


def test_default_models_dir_is_the_repos() -> None:
    assert DEFAULT_MODELS_DIR == REPO / "models"
    assert set(SHIPPED) <= set(ModelRegistry().names())


@pytest.mark.parametrize("name", SHIPPED)
def test_manifest_is_complete_and_matches_file(name: str, registry: ModelRegistry) -> None:
    manifest = json.loads((REPO / "models" / name / "manifest.json").read_text())
    for key in (
        "name",
        "file",
        "sha256",
        "task",
        "input",
        "labels",
        "output",
        "provenance",
        "metrics",
        "licence",
    ):
        assert key in manifest, key
    for key in ("shape", "layout", "color", "mean", "std", "size"):
        assert key in manifest["input"], key
    for key in ("generator", "train_seeds", "holdout_seed", "script", "torch_version", "date"):
        assert key in manifest["provenance"], key
    assert manifest["provenance"]["holdout_seed"] not in manifest["provenance"]["train_seeds"]
    model_file = REPO / "models" / name / manifest["file"]
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == manifest["sha256"]
    assert model_file.stat().st_size <= 10 * 1024 * 1024
    assert (REPO / "models" / name / "CARD.md").read_text().count(manifest["sha256"]) == 1

    loaded = registry.get(name)
    assert (loaded.name, loaded.sha256) == (name, manifest["sha256"])
    batch_dim = loaded.session.get_inputs()[0].shape[0]
    assert not isinstance(batch_dim, int), "exported without a dynamic batch axis"
    assert (name, manifest["sha256"]) in registry.models_used()


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    shutil.copytree(REPO / "models" / "bay_occupancy", tmp_path / "bay_occupancy")
    assert ModelRegistry(tmp_path, threads=1).get("bay_occupancy").sha256

    shutil.copytree(REPO / "models" / "cargo_counter", tmp_path / "other" / "cargo_counter")
    model = tmp_path / "other" / "cargo_counter" / "model.onnx"
    blob = bytearray(model.read_bytes())
    blob[len(blob) // 2] ^= 0x01  # one bit in a weight: still a loadable model, not ours
    model.write_bytes(bytes(blob))
    tampered = ModelRegistry(tmp_path / "other", threads=1)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        tampered.get("cargo_counter")
    with pytest.raises(ModelIntegrityError):
        CargoCounter(tampered).count(np.zeros((1, 32, 32, 3), np.uint8))
    assert tampered.models_used() == []


def test_unknown_model_and_escaping_names_are_refused(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFoundError):
        registry.get("no_such_model")
    with pytest.raises(ModelNotFoundError):
        registry.get("../models/bay_occupancy")


def test_classifier_held_out_accuracy(registry: ModelRegistry) -> None:
    classifier = BayOccupancyClassifier(registry)
    held_out = _holdout(60, balanced=True)
    probs = np.concatenate([classifier.predict(s.image[None]) for s in held_out])
    assert probs.shape == (60, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    truth = np.array([OCCUPANCY_LABELS.index(s.label) for s in held_out])
    accuracy = float(np.mean(probs.argmax(axis=1) == truth))
    assert accuracy >= 0.9, f"held-out accuracy {accuracy:.3f}"
    assert classifier.labels == ("empty", "partial", "loaded")


def test_classifier_tells_empty_from_loaded_on_rendered_takes(registry: ModelRegistry) -> None:
    classifier = BayOccupancyClassifier(registry)
    empty_idx, loaded_idx = OCCUPANCY_LABELS.index("empty"), OCCUPANCY_LABELS.index("loaded")
    for i, kind in enumerate(scenes.KINDS * 2):
        seed = scenes.HOLDOUT_SEED_BASE + 7 + i
        frames = np.stack(
            [
                scenes.render_scene(seed, kind, fill, 0, t=3.0, size=(320, 240))
                for fill in (1.0, 0.0)
            ]
        )
        loaded, empty = classifier.predict(frames)
        assert empty[empty_idx] > 0.5 > loaded[empty_idx], (kind, seed, loaded, empty)
        assert loaded[loaded_idx] > empty[loaded_idx]


def test_counter_held_out_mae(registry: ModelRegistry) -> None:
    counter = CargoCounter(registry)
    held_out = _holdout(60, balanced=False)
    counts = np.concatenate([counter.count(s.image[None]) for s in held_out])
    truth = np.array([len(s.places) for s in held_out], np.float32)
    assert counts.dtype == np.float32 and counts.shape == (60,)
    mae = float(np.abs(counts - truth).mean())
    assert mae <= COUNTER_MAE_BOUND, f"held-out MAE {mae:.2f}"


def test_counter_follows_a_recount_layout(registry: ModelRegistry) -> None:
    counter = CargoCounter(registry)
    seed = scenes.HOLDOUT_SEED_BASE + 99
    frames = np.stack(
        [scenes.render_scene(seed, "trailer", 0.0, n, t=1.0, size=(320, 240)) for n in (0, 8, 20)]
    )
    zero, eight, twenty = counter.count(frames)
    assert zero < 1.5 and abs(eight - 8) < 3 and abs(twenty - 20) < 4
    assert zero < eight < twenty


def test_models_load_once_under_concurrent_first_calls(registry: ModelRegistry) -> None:
    classifier = BayOccupancyClassifier(ModelRegistry(threads=1))
    frame = scenes.render_scene(scenes.HOLDOUT_SEED_BASE + 3, "container", 1.0, 0, size=(160, 120))
    results: list[np.ndarray] = []

    def call() -> None:
        results.append(classifier.predict(frame))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 4
    assert all(np.allclose(r, results[0]) for r in results)
    assert [name for name, _ in classifier.registry.models_used()] == ["bay_occupancy"]


def test_frames_must_be_uint8_rgb(registry: ModelRegistry) -> None:
    with pytest.raises(ValueError):
        BayOccupancyClassifier(registry).predict(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError):
        CargoCounter(registry).count(np.zeros((1, 32, 32, 3), np.float32))
    assert CargoCounter(registry).count(np.zeros((0, 32, 32, 3), np.uint8)).shape == (0,)


# --- the generic YOLO path --------------------------------------------------------------

# Boxes in the 64x64 model input: (cx, cy, w, h, class 0 score, class 1 score).
_ANCHORS = np.array(
    [
        [20, 30, 16, 12, 0.90, 0.05],  # best "seal"
        [21, 31, 16, 12, 0.80, 0.02],  # near-duplicate of it: suppressed
        [20, 30, 16, 12, 0.03, 0.70],  # same place, other class: kept
        [50, 40, 10, 10, 0.60, 0.01],  # separate "seal"
        [10, 45, 8, 8, 0.10, 0.05],  # below the score threshold
    ],
    np.float32,
)


def _write_yolo(model_dir: Path, layout: str, transposed: bool = False) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if layout == "yolov5":  # objectness 1.0, class probabilities as given
        rows = np.concatenate([_ANCHORS[:, :4], np.ones((5, 1), np.float32), _ANCHORS[:, 4:]], 1)
        const = rows[None]
    else:
        const = _ANCHORS[None] if transposed else _ANCHORS.T[None]
    const = np.ascontiguousarray(const, np.float32)
    # output = const + 0 * mean(images): constant, but with the batch axis of the input
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m4"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["m4", "batch_only"], ["m"]),
        helper.make_node("Mul", ["m", "zero"], ["m0"]),
        helper.make_node("Add", ["const", "m0"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["batch", *const.shape[1:]])],
        [
            numpy_helper.from_array(const, "const"),
            numpy_helper.from_array(np.zeros((1, 1, 1), np.float32), "zero"),
            numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "batch_only"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    model_dir.mkdir(parents=True)
    blob = model.SerializeToString()
    (model_dir / "model.onnx").write_bytes(blob)
    (model_dir / "manifest.json").write_text(
        json.dumps(
            {
                "name": model_dir.name,
                "file": "model.onnx",
                "task": "detection",
                "sha256": hashlib.sha256(blob).hexdigest(),
                "input": {
                    "shape": [-1, 3, 64, 64],
                    "layout": "NCHW",
                    "color": "RGB",
                    "size": [64, 64],
                    "scale": 1 / 255,
                    "mean": [0, 0, 0],
                    "std": [1, 1, 1],
                },
                "labels": ["seal", "door"],
                "output": {"layout": layout, "score_threshold": 0.25, "iou_threshold": 0.45},
            }
        )
    )


@pytest.mark.parametrize(
    ("layout", "transposed"), [("yolov8", False), ("yolov8", True), ("yolov5", False)]
)
def test_yolo_decode_and_nms(tmp_path: Path, layout: str, transposed: bool) -> None:
    _write_yolo(tmp_path / "tiny", layout, transposed)
    detector = YoloDetector(ModelRegistry(tmp_path, threads=1), "tiny")
    # 128 wide x 64 high: letterboxed to 64x64 at scale 0.5 with 16 px bands above and below
    frames = np.zeros((2, 64, 128, 3), np.uint8)
    results = detector.detect(frames)
    assert len(results) == 2 and results[0] == results[1]
    found = [(d.label, round(d.score, 2), tuple(round(v, 1) for v in d.box)) for d in results[0]]
    assert found == [
        ("seal", 0.9, (24.0, 16.0, 56.0, 40.0)),
        ("door", 0.7, (24.0, 16.0, 56.0, 40.0)),
        ("seal", 0.6, (90.0, 38.0, 110.0, 58.0)),
    ]


def test_letterbox_and_nms_helpers() -> None:
    boxed, geometry = letterbox(np.full((50, 100, 3), 200, np.uint8), (64, 64))
    assert boxed.shape == (64, 64, 3) and geometry.scale == pytest.approx(0.64)
    assert geometry.pad_x == 0 and geometry.pad_y == 16
    assert boxed[0, 0, 0] == 114 and boxed[32, 32, 0] == 200
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.5, 0.9, 0.4], np.float32)
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert batched_nms(boxes, scores, np.array([0, 1, 0]), 0.5).tolist() == [1, 0, 2]


def _with_evaluations(tmp_path: Path, evaluations: list[dict]) -> ModelRegistry:
    shutil.copytree(REPO / "models" / "bay_occupancy", tmp_path / "bay_occupancy")
    path = tmp_path / "bay_occupancy" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["evaluations"] = evaluations
    path.write_text(json.dumps(manifest))
    return ModelRegistry(tmp_path, threads=1)


def test_shipped_models_are_advisory_everywhere(registry: ModelRegistry) -> None:
    # trained and evaluated on synthetic footage only: no post can make them binding
    for post in ("ALAKOL", "ALTYNKOL"):
        assert binding_checks(registry, post, ("completeness", "recount"), 0.0) == frozenset()
    for name in SHIPPED:
        evals = registry.manifest(name).get("evaluations", [])
        assert all(e["kind"] != "real" or "post_code" not in e for e in evals)


def test_binding_needs_the_policy_and_real_held_out_figures_of_that_post(tmp_path: Path) -> None:
    real = {"dataset": "ALAKOL takes 2026-11", "kind": "real", "post_code": "ALAKOL",
            "metric": "end_state_accuracy", "value": 0.97, "n": 120}  # fmt: skip
    reg = _with_evaluations(tmp_path / "a", [real])
    assert binding_checks(reg, "ALAKOL", ("completeness",), 0.95) == {"completeness"}
    assert binding_checks(reg, "ALAKOL", (), 0.95) == frozenset()  # the policy did not ask
    assert binding_checks(reg, "ALTYNKOL", ("completeness",), 0.95) == frozenset()  # other post
    assert binding_checks(reg, "ALAKOL", ("completeness",), 0.98) == frozenset()  # below bar
    few = _with_evaluations(tmp_path / "b", [real | {"n": MIN_PROOF_N - 1}])
    assert binding_checks(few, "ALAKOL", ("completeness",), 0.95) == frozenset()
    synthetic = _with_evaluations(tmp_path / "c", [real | {"kind": "synthetic"}])
    assert binding_checks(synthetic, "ALAKOL", ("completeness",), 0.95) == frozenset()
    assert not proven_at({"evaluations": ["junk", {"kind": "real"}]}, "ALAKOL", "x", 0.0)


def test_xray_export_kind_is_told_and_an_inverted_scan_turned_back() -> None:
    from media_pipeline.vision.xray import XrayAssistModel, export_kind
    from models.eval.xray_b import EXPORTS, export, scan

    for seed in range(3):
        s = scan(3100 + seed, concealed=False, height=300)
        kinds = [export_kind(export(s.transmission, k).astype(np.float32)) for k in EXPORTS]
        assert kinds == ["raw", "display", "inverted"]
    model = XrayAssistModel(ModelRegistry(threads=1))
    clean = scan(3200, concealed=False, height=400)
    raw = model.assess(export(clean.transmission, "raw16"))
    inverted = model.assess(export(clean.transmission, "inverted"))
    assert (raw.figures.export, inverted.figures.export) == ("raw", "inverted")
    # read as if air were dark, every clean load was "void" (issue 12); turned back, it is not
    assert not any(r.kind == "void" for r in inverted.regions), inverted.regions


def test_binding_for_the_loaded_wrapper(tmp_path: Path) -> None:
    real = {"dataset": "ALAKOL takes", "kind": "real", "post_code": "ALAKOL",
            "metric": "end_state_accuracy", "value": 0.99, "n": 200}  # fmt: skip
    bay = BayOccupancyClassifier(_with_evaluations(tmp_path, [real]))
    assert binding_for("completeness", bay, "ALAKOL", ("completeness",), 0.95)
    assert not binding_for("completeness", bay, "ALAKOL", (), 0.95)
    assert not binding_for("recount", bay, "ALAKOL", ("recount",), 0.95)  # not its check
    shipped = BayOccupancyClassifier(ModelRegistry(threads=1))
    assert not binding_for("completeness", shipped, "ALAKOL", ("completeness",), 0.0)
    assert not binding_for("completeness", object(), "ALAKOL", ("completeness",), 0.0)
    assert not binding_for("completeness", None, "ALAKOL", ("completeness",), 0.0)
