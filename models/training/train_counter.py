"""Trains the cargo-place counter (a density map that sums to the count) into models/cargo_counter/.

    nice -n 10 .venv-train/bin/python -m models.training.train_counter [--frames DIR] [--minutes 10]

`--frames DIR` adds real frames listed in DIR/counts.csv (`file,count`, paths relative to DIR);
they carry only a total, so they train the count loss and not the density map.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import common, scenes
from .cards import write_counter_card

NAME = "cargo_counter"
SIZE = 160
STRIDE = 8
MAP = SIZE // STRIDE
SIGMA = 1.0  # in density-map cells (8 input pixels)
DENSITY_SCALE = 10.0  # keeps the per-cell MSE in a range Adam handles well
TRAIN_SEED = 202
HOLDOUT_SEED = 90002


def _block(cin: int, cout: int, stride: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CounterNet(nn.Module):
    """Receptive field ~75 input px: enough to tell a place on the ground from a unit of a
    stacked load or a box in someone's arms."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _block(3, 16, 2), _block(16, 24, 1), _block(24, 32, 2), _block(32, 32, 1),
            _block(32, 64, 2), _block(64, 64, 1), _block(64, 64, 1, dilation=2),
            _block(64, 64, 1, dilation=2))
        self.density = nn.Conv2d(64, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.density(self.features(x))


class CountAndDensity(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        density = self.net(x) / DENSITY_SCALE
        return density.sum(dim=(1, 2, 3)), density


def density_map(centres: np.ndarray) -> np.ndarray:
    """One Gaussian per place, each renormalised to 1 inside the map so sums equal counts."""
    grid = (np.arange(MAP, dtype=np.float32) + 0.5) * STRIDE
    out = np.zeros((MAP, MAP), np.float32)
    for x, y in centres:
        gx = np.exp(-((grid - x) / STRIDE) ** 2 / (2 * SIGMA**2))
        gy = np.exp(-((grid - y) / STRIDE) ** 2 / (2 * SIGMA**2))
        blob = np.outer(gy, gx)
        total = blob.sum()
        if total > 1e-6:
            out += blob / total
    return out


def load_real(root: Path) -> tuple[np.ndarray, np.ndarray]:
    frames, counts = [], []
    with (root / "counts.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            frames.append(common.to_input(common.read_rgb(root / row["file"]), SIZE))
            counts.append(float(row["count"]))
    if not frames:
        raise SystemExit(f"{root}/counts.csv lists no frames")
    return np.stack(frames), np.array(counts, np.float32)


def evaluate(session: object, frames: np.ndarray, counts: np.ndarray) -> dict[str, object]:
    pred = np.concatenate([session.run(["count"], {"images": common.normalise(frames[i:i + 64])})[0]
                           for i in range(0, len(frames), 64)]).clip(0, None)
    err = pred - counts
    return {"n": len(counts), "mae": round(float(np.abs(err).mean()), 3),
            "bias": round(float(err.mean()), 3),
            "exact": round(float(np.mean(np.round(pred) == counts)), 4),
            "within_1": round(float(np.mean(np.abs(np.round(pred) - counts) <= 1)), 4),
            "pred": pred}


def main() -> None:
    args = common.trainer_args(__doc__, "real frames with DIR/counts.csv", 6000, NAME)
    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()

    print(f"rendering {args.synthetic} training scenes (seed {TRAIN_SEED})", flush=True)
    _, frames, _, centres = common.rendered(TRAIN_SEED, args.synthetic, SIZE, holdout=False,
                                            balanced=False)
    maps = np.stack([density_map(c) for c in centres])
    counts = np.array([len(c) for c in centres], np.float32)
    has_map = np.ones(len(frames), bool)
    if args.frames:
        rx, rc = load_real(args.frames)
        frames = np.concatenate([frames] + [rx] * args.real_weight)
        counts = np.concatenate([counts] + [rc] * args.real_weight)
        maps = np.concatenate([maps, np.zeros((len(rx) * args.real_weight, MAP, MAP), np.float32)])
        has_map = np.concatenate([has_map, np.zeros(len(rx) * args.real_weight, bool)])
    print(f"  {len(frames)} frames ready in {time.monotonic() - started:.0f}s", flush=True)

    net = CounterNet()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(TRAIN_SEED)
    rng = np.random.default_rng(TRAIN_SEED)
    mean = torch.tensor(common.MEAN).view(1, 3, 1, 1)
    std = torch.tensor(common.STD).view(1, 3, 1, 1)

    def step(_: int, lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        idx = rng.integers(0, len(frames), 32)
        x = torch.from_numpy(frames[idx]).permute(0, 3, 1, 2).float().div_(255.0)
        target = torch.from_numpy(maps[idx])[:, None] * DENSITY_SCALE
        flip = torch.rand(len(idx), generator=gen) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        target = torch.where(flip[:, None, None, None], target.flip(3), target)
        gain = 0.75 + 0.5 * torch.rand(len(idx), 1, 1, 1, generator=gen)
        x = ((x * gain).clamp(0, 1) - mean) / std
        pred = net(x)
        mask = torch.from_numpy(has_map[idx]).float()[:, None, None, None]
        map_loss = (((pred - target) ** 2) * mask).mean()
        count_loss = F.l1_loss(pred.sum(dim=(1, 2, 3)) / DENSITY_SCALE,
                               torch.from_numpy(counts[idx]))
        loss = map_loss + 0.05 * count_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    net.train()
    steps = common.train_loop(step, args.max_steps, args.minutes * 60, peak_lr=2e-3)
    model_path = args.out / "model.onnx"
    common.export_onnx(CountAndDensity(net), SIZE, model_path, ["count", "density"])

    print(f"rendering {args.holdout} held-out scenes (seed {HOLDOUT_SEED})", flush=True)
    hold_plans, hx, _, hc = common.rendered(HOLDOUT_SEED, args.holdout, SIZE, holdout=True,
                                            balanced=False)
    hcounts = np.array([len(c) for c in hc], np.float32)
    session = common.ort_session(model_path)
    res = evaluate(session, hx, hcounts)
    pred = np.asarray(res.pop("pred"))
    kinds = np.array([p.kind for p in hold_plans])
    by_kind = {k: round(float(np.abs(pred - hcounts)[kinds == k].mean()), 3)
               for k in scenes.KINDS}
    by_count = {}
    for lo, hi in ((0, 0), (1, 5), (6, 10), (11, 20), (21, 30)):
        sel = (hcounts >= lo) & (hcounts <= hi)
        by_count[f"{lo}-{hi}" if hi > lo else str(lo)] = {
            "n": int(sel.sum()), "mae": round(float(np.abs(pred - hcounts)[sel].mean()), 3),
            "bias": round(float((pred - hcounts)[sel].mean()), 3)}
    metrics: dict[str, object] = {
        "holdout_mae": res["mae"], "holdout_bias": res["bias"], "holdout_exact": res["exact"],
        "holdout_within_1": res["within_1"], "holdout_n": res["n"],
        "holdout_mae_by_kind": by_kind, "by_true_count": by_count, "train_steps": steps,
        "batch": 32, "confusion": None}
    real = None
    if args.holdout_frames:
        real = evaluate(session, *load_real(args.holdout_frames))
        real.pop("pred")
        metrics["real_holdout"] = real

    manifest = {
        "name": NAME, "file": "model.onnx", "task": "counting",
        "input": common.input_spec(SIZE), "labels": ["cargo_place"],
        "output": {"name": "count", "shape": [-1], "kind": "expected number of places",
                   "density": "density", "density_size": MAP, "density_stride": STRIDE},
        "provenance": common.provenance(
            "models/training/train_counter.py", [TRAIN_SEED], HOLDOUT_SEED,
            train_frames=len(frames), real_frames=str(args.frames or ""),
            scene_seed_ranges={"train": [0, scenes.HOLDOUT_SEED_BASE - 1],
                               "holdout": [scenes.HOLDOUT_SEED_BASE, 2**31 - 1]},
            max_places=scenes.MAX_PLACES),
        "metrics": metrics,
        "evaluations": common.real_evaluations(args, real, "places_within_tolerance", "within_1"),
        "licence": common.licence(args),
    }
    common.write_manifest(args.out, manifest)
    write_counter_card(args.out, json.loads((args.out / "manifest.json").read_text()))
    print(json.dumps(metrics, indent=1))
    print(f"done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
