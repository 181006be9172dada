"""Scores models/xray_assist on held-out synthetic scans and writes its manifest and CARD.md
(runs in the APP venv: the model is run by `media_pipeline.vision.xray`, as the worker runs it).

    .venv/bin/python -m models.training.xray_eval --model-dir models/xray_assist [--n 240]

Held-out images are drawn with a master seed training never used, from image seeds in
[2^30, 2^31) (training draws below 2^30), at scanner-like sizes (400..1000 px high).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from backend.idk.assessment import DeclaredGoods, judge
from backend.idk.schemas import Anomaly, ImageFigures, ModelRef
from backend.idk.xray import (
    ANOMALY_KINDS,
    MASS_ATTENUATION_CM2_PER_G,
    SCAN_LENGTH_M,
    Box,
    mass_kg,
    render_layers,
    to_pixels,
)
from media_pipeline.vision.registry import ModelRegistry
from media_pipeline.vision.xray import Region, XrayAssistModel
from models.training.xray_card import write_card
from models.training.xray_data import HEIGHT, SCALE, SEED_RANGES, STRIDE, sample_spec, visible

HOLDOUT_SEED = 90303
VALIDATION_SEED = 777
IOU = 0.1


def iou(a: Region | Box, b: Region | Box) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0


def match(regions: list[Region], truth: list[Box], threshold: float) -> dict[str, dict[str, int]]:
    """Per kind: tp (found visible concealments), fn, fp (regions over no concealment).
    A region over an invisible concealment counts neither way."""
    out = {k: {"tp": 0, "fn": 0, "fp": 0} for k in ANOMALY_KINDS}
    shown = [r for r in regions if r.score >= threshold]
    for box in truth:
        if visible(box):
            hit = any(r.kind == box.kind and iou(r, box) >= IOU for r in shown)
            out[box.kind]["tp" if hit else "fn"] += 1
    for r in shown:
        same = [b for b in truth if b.kind == r.kind and iou(r, b) >= IOU]
        if not same:
            out[r.kind]["fp"] += 1
    return out


def add(total: dict[str, dict[str, int]], part: dict[str, dict[str, int]]) -> None:
    for k, v in part.items():
        for m, n in v.items():
            total.setdefault(k, {"tp": 0, "fn": 0, "fp": 0})[m] += n


def rates(counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    def pr(c: dict[str, int]) -> dict[str, Any]:
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        return {"precision": round(p, 3), "recall": round(r, 3), **c}

    overall = {m: sum(c[m] for c in counts.values()) for m in ("tp", "fn", "fp")}
    return {"overall": pr(overall), **{k: pr(c) for k, c in counts.items()}}


def figures(a: Any) -> ImageFigures:
    f = a.figures
    return ImageFigures(fill=None if f.fill != f.fill else f.fill, mass_kg=f.mass_kg,
                        bay_fraction=f.bay_fraction, mean_attenuation=f.mean_attenuation)


def evaluate(model: XrayAssistModel, n: int, master_seed: int, split: str = "holdout"
             ) -> dict[str, Any]:
    rng = np.random.default_rng(master_seed)
    counts: dict[str, dict[str, int]] = {}
    clean = clean_alarms = empties = empty_flagged = full_ok = full_n = 0
    log_ratios, seconds = [], []
    th = model.thresholds
    ref = ModelRef(model.name, model.load().sha256)
    now = dt.datetime.now(dt.UTC)
    for _ in range(n):
        spec = sample_spec(rng, split, height=(400, 1000))
        layers = render_layers(spec)
        pixels = to_pixels(layers.trans, spec.bits)
        t0 = time.perf_counter()
        result = model.assess(pixels)
        seconds.append(time.perf_counter() - t0)
        add(counts, match(result.regions, layers.anomalies, th["anomaly"]))
        shown = [r for r in result.regions if r.score >= th["anomaly"]]
        if not layers.anomalies:
            clean += 1
            clean_alarms += bool(shown)
        truth_kg = mass_kg(float(layers.contents.sum()), spec.width)
        anomalies = [Anomaly(r.x, r.y, r.w, r.h, r.score, r.kind) for r in result.regions]
        if spec.packaging == "empty":
            # an empty vehicle declared as carrying 20 places, 18 t: must be flagged
            empties += 1
            goods = DeclaredGoods(["d"], 18000.0, 20, ["boxes"])
            empty_flagged += judge(ref, anomalies, figures(result), goods, th, now).flagged
        elif truth_kg > 500:
            log_ratios.append(abs(np.log(max(result.figures.mass_kg, 1.0) / truth_kg)))
            if not layers.anomalies:
                # a plain load declared truthfully must not be flagged
                full_n += 1
                goods = DeclaredGoods(["d"], truth_kg, 20, [spec.packaging])
                full_ok += not judge(ref, anomalies, figures(result), goods, th, now).flagged
    lr = np.array(log_ratios)
    return {
        "holdout_n": n, "holdout_seed": master_seed, "regions": rates(counts),
        "clean_images": clean,
        "clean_false_alarm_rate": round(clean_alarms / clean, 3) if clean else None,
        "empty_declared_loaded_flagged": f"{empty_flagged}/{empties}",
        "truthful_plain_load_not_flagged": f"{full_ok}/{full_n}",
        "mass_within_2x": round(float(np.mean(lr <= np.log(2))), 3) if lr.size else None,
        "mass_median_abs_log_ratio": round(float(np.median(lr)), 3) if lr.size else None,
        "seconds_per_image_median": round(float(np.median(seconds)), 4),
    }


def manifest(model_dir: Path, args: argparse.Namespace, metrics: dict[str, Any] | None
             ) -> dict[str, Any]:
    path = model_dir / "model.onnx"
    return {
        "name": "xray_assist", "file": "model.onnx",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "task": "anomaly_heatmap",
        "input": {"name": "images", "shape": [-1, 1, HEIGHT, -1], "layout": "NCHW",
                  "height": HEIGHT, "dtype": "float32", "scale": SCALE,
                  "preprocess": "grey; transmission = value / 99.5th percentile (air); "
                                "cv2.INTER_AREA to the input height, any width; "
                                "scale * -ln(clip(t, 1e-3, 1)); width padded to the stride"},
        "labels": list(ANOMALY_KINDS),
        "output": {"names": ["anomaly", "contents", "bay"], "stride": STRIDE,
                   "min_cells": 2, "lone_cell_score": 0.8,
                   "anomaly": "[N, kinds, H/8, W/8] probability of each kind per cell",
                   "contents": "[N, 1, H/8, W/8] mean attenuation of the load per cell",
                   "bay": "[N, 1, H/8, W/8] probability the cell is inside the loadable bay"},
        "thresholds": {"anomaly": args.anomaly_threshold, "consistency": 0.5},
        "calibration": {"scan_length_m": SCAN_LENGTH_M,
                        "mass_attenuation_cm2_per_g": MASS_ATTENUATION_CM2_PER_G,
                        "cargo_min": 0.1},
        "provenance": {
            "generator": "backend/idk/xray.py", "script": "models/training/train_xray.py",
            "data": "models/training/xray_data.py", "evaluation": "models/training/xray_eval.py",
            "train_seeds": [303], "holdout_seed": HOLDOUT_SEED,
            "image_seed_ranges": {k: list(v) for k, v in SEED_RANGES.items()},
            "train_images": args.train_images, "train_steps": args.train_steps,
            "batch": args.batch, "torch_version": args.torch_version,
            "date": dt.date.today().isoformat(), "real_images": "",
        },
        "metrics": metrics or {},
        "size_bytes": path.stat().st_size,
        "licence": "Apache-2.0 (trained by Dosmotr on synthetic data only)",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--n", type=int, default=240)
    ap.add_argument("--train-steps", type=int, default=0)
    ap.add_argument("--train-images", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--torch-version", default="")
    ap.add_argument("--anomaly-threshold", type=float, default=0.7,
                    help="a cell's probability from which it is part of a region (0.7: chosen "
                         "on the validation draw, see --validation)")
    ap.add_argument("--validation", action="store_true",
                    help="only print metrics on a validation draw from the TRAINING seed range "
                         f"(master seed {VALIDATION_SEED}): for choosing between runs without "
                         "looking at the held-out set")
    args = ap.parse_args()
    model_dir = args.model_dir.resolve()
    if args.validation:
        (model_dir / "manifest.json").write_text(json.dumps(manifest(model_dir, args, None)))
        model = XrayAssistModel(ModelRegistry(model_dir.parent, threads=2), model_dir.name)
        print(json.dumps(evaluate(model, args.n, VALIDATION_SEED, "train"), indent=1))
        return
    (model_dir / "manifest.json").write_text(json.dumps(manifest(model_dir, args, None), indent=2))
    model = XrayAssistModel(ModelRegistry(model_dir.parent, threads=2), model_dir.name)
    metrics = evaluate(model, args.n, HOLDOUT_SEED)
    final = manifest(model_dir, args, metrics)
    (model_dir / "manifest.json").write_text(json.dumps(final, indent=2) + "\n")
    write_card(model_dir, final)
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
