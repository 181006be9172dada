"""Synthetic X-ray training and held-out sets for models/xray_assist (runs in the APP venv).

    .venv/bin/python -m models.training.xray_data --master-seed 303 --n 2400 --out FILE.npz

Images come from `backend/idk/xray.py` and go through the very preprocessing the pipeline
uses (`media_pipeline.vision.xray.prepare`), so the net is trained on what it will be given.
Targets are per cell of STRIDE input pixels: coverage of each anomaly kind (only visible ones;
cells of an invisible void are ignored), the load's mean attenuation, coverage of the bay.

Seeds: a master seed draws the specs; training image seeds lie below 2^30, the model card's
held-out images in [2^30, 2^31), the test suite's fresh held-out images from 2^31 up.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from backend.idk.xray import ANOMALY_KINDS, XrayLayers, XraySpec, render_layers, to_pixels
from media_pipeline.vision.xray import prepare

HEIGHT, STRIDE, SCALE = 192, 8, 0.5  # model input: height, output stride, attenuation scale
SEED_RANGES = {"train": (0, 2**30 - 1), "holdout": (2**30, 2**31 - 1), "test": (2**31, 2**32 - 1)}
PACKAGING_WEIGHTS = {"boxes": 0.18, "bags": 0.15, "barrels": 0.12, "pallets": 0.13, "bulk": 0.14,
                     "machinery": 0.13, "empty": 0.15}
# Concealments too faint to see are not taught: a void cut where there was hardly any cargo.
MIN_CONTRAST = {"dense_block": 0.5, "void": 0.25, "organic_mass": 0.3}


def sample_spec(rng: np.random.Generator, split: str, height: tuple[int, int] = (224, 400),
                **force: Any) -> XraySpec:
    low, high = SEED_RANGES[split]
    kinds = list(PACKAGING_WEIGHTS)
    packaging = str(rng.choice(kinds, p=np.array(list(PACKAGING_WEIGHTS.values()))))
    h = int(rng.integers(height[0], height[1] + 1))
    spec: dict[str, Any] = {
        "seed": int(rng.integers(low, high, dtype=np.int64)),
        "height": h, "width": int(h * rng.uniform(2.4, 4.6)),
        "vehicle": str(rng.choice(["container", "wagon"])), "packaging": packaging,
        "fill": float(rng.uniform(0.3, 1.0)), "density": float(rng.uniform(0.6, 1.5)),
        "hidden_block": bool(rng.random() < 0.35),
        "voids": int(rng.integers(1, 3)) if packaging != "empty" and rng.random() < 0.3 else 0,
        "organic": 1 if rng.random() < 0.35 else 0,
        "noise": float(rng.uniform(0.3, 1.5)), "bits": int(rng.choice([8, 16])),
    }
    spec.update(force)
    return XraySpec(**spec)


def visible(box: Any) -> bool:
    return abs(float(box.contrast)) >= MIN_CONTRAST.get(box.kind, 0.0)


def _coverage(boxes: list[tuple[int, int, int, int]], shape: tuple[int, int], sx: float,
              sy: float) -> np.ndarray:
    """Fraction of each cell covered by the boxes (image pixels -> input pixels -> cells)."""
    h, w = shape
    mask = np.zeros((h * STRIDE, w * STRIDE), np.float32)
    for x, y, bw, bh in boxes:
        mask[int(y * sy) : int(np.ceil((y + bh) * sy)), int(x * sx) : int(np.ceil((x + bw) * sx))] = 1
    return mask.reshape(h, STRIDE, w, STRIDE).mean(axis=(1, 3))


def example(spec: XraySpec) -> dict[str, np.ndarray]:
    layers: XrayLayers = render_layers(spec)
    pixels = to_pixels(layers.trans, spec.bits)
    p = prepare(pixels, HEIGHT, STRIDE, SCALE)
    cells = (HEIGHT // STRIDE, p.x.shape[3] // STRIDE)
    sx, sy = p.valid_w / spec.width, HEIGHT / spec.height
    anomaly = np.zeros((len(ANOMALY_KINDS), *cells), np.float32)
    weight = np.ones_like(anomaly)
    for k, kind in enumerate(ANOMALY_KINDS):
        boxes = [b for b in layers.anomalies if b.kind == kind]
        shown = [(b.x, b.y, b.w, b.h) for b in boxes if visible(b)]
        hidden = [(b.x, b.y, b.w, b.h) for b in boxes if not visible(b)]
        anomaly[k] = _coverage(shown, cells, sx, sy)
        weight[k][_coverage(hidden, cells, sx, sy) > 0] = 0.0
    contents = np.zeros(cells, np.float32)
    small = cv2.resize(layers.contents, (p.valid_w, HEIGHT), interpolation=cv2.INTER_AREA)
    padded = np.zeros((HEIGHT, cells[1] * STRIDE), np.float32)
    padded[:, : p.valid_w] = small
    contents[:] = padded.reshape(cells[0], STRIDE, cells[1], STRIDE).mean(axis=(1, 3))
    b = layers.bay
    bay = _coverage([(b.x, b.y, b.w, b.h)], cells, sx, sy)
    return {"x": p.x[0, 0].astype(np.float16), "anomaly": anomaly.astype(np.float16),
            "weight": weight.astype(np.uint8), "contents": contents.astype(np.float16),
            "bay": bay.astype(np.float16)}


def build(master_seed: int, n: int, split: str, workers: int = 2) -> dict[str, np.ndarray]:
    """n examples, concatenated along the width; `offsets` (in cells) split them again."""
    rng = np.random.default_rng(master_seed)
    specs = [sample_spec(rng, split) for _ in range(n)]
    if workers > 1:
        with get_context("fork").Pool(workers) as pool:
            items = pool.map(example, specs, chunksize=16)
    else:
        items = [example(s) for s in specs]
    widths = np.array([it["bay"].shape[1] for it in items])
    return {
        "x": np.concatenate([it["x"] for it in items], axis=1),
        "anomaly": np.concatenate([it["anomaly"] for it in items], axis=2),
        "weight": np.concatenate([it["weight"] for it in items], axis=2),
        "contents": np.concatenate([it["contents"] for it in items], axis=1),
        "bay": np.concatenate([it["bay"] for it in items], axis=1),
        "offsets": np.concatenate([[0], np.cumsum(widths)]),
        "has_anomaly": np.array([it["anomaly"].reshape(len(ANOMALY_KINDS), -1).max(axis=1) > 0
                                 for it in items]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--master-seed", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--split", choices=sorted(SEED_RANGES), default="train")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    started = time.monotonic()
    data = build(args.master_seed, args.n, args.split, args.workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez(tmp, **data)
    tmp.rename(args.out)
    print(f"{args.n} {args.split} examples -> {args.out} "
          f"({tmp.stat().st_size if tmp.exists() else args.out.stat().st_size} bytes) "
          f"in {time.monotonic() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
