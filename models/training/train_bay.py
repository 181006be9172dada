"""Trains the bay-occupancy classifier (empty / partial / loaded) into models/bay_occupancy/.

    nice -n 10 .venv-train/bin/python -m models.training.train_bay [--frames DIR] [--minutes 11]

Synthetic frames come from scenes.py; `--frames DIR` adds a customs service's own labelled
frames (DIR/empty, DIR/partial, DIR/loaded), `--holdout-frames DIR` scores on real frames too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import common, scenes
from .cards import write_bay_card

NAME = "bay_occupancy"
SIZE = 128
TRAIN_SEED = 101
HOLDOUT_SEED = 90001


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class BayNet(nn.Module):
    """Ends in a 4x4 grid flattened, not a global pool: where cargo is (inside the opening or
    on the ground in front) is what separates a loaded bay from an empty one with places
    laid out for the recount."""

    def __init__(self) -> None:
        super().__init__()
        plan = [(3, 16, 2), (16, 32, 2), (32, 32, 1), (32, 64, 2), (64, 64, 1), (64, 96, 2),
                (96, 96, 1), (96, 64, 2)]
        self.features = nn.Sequential(*[_block(*p) for p in plan])
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class Probabilities(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def load_real(root: Path) -> tuple[np.ndarray, np.ndarray]:
    frames, labels = [], []
    for path, label in common.iter_labelled_images(root):
        if label not in scenes.LABELS:
            raise SystemExit(f"{path}: folder {label!r} is not one of {scenes.LABELS}")
        frames.append(common.to_input(common.read_rgb(path), SIZE))
        labels.append(scenes.LABELS.index(label))
    if not frames:
        raise SystemExit(f"no images under {root}/{{empty,partial,loaded}}/")
    return np.stack(frames), np.array(labels, np.int64)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    gain = 0.75 + 0.5 * torch.rand(n, 1, 1, 1, generator=gen)
    bias = 0.16 * torch.rand(n, 1, 1, 1, generator=gen) - 0.08
    return (x * gain + bias).clamp(0, 1)


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div_(255.0)


def evaluate(session: object, frames: np.ndarray, labels: np.ndarray) -> dict[str, object]:
    probs = np.concatenate([session.run(None, {"images": common.normalise(frames[i:i + 64])})[0]
                            for i in range(0, len(frames), 64)])
    pred = probs.argmax(1)
    confusion = np.zeros((3, 3), int)
    for t, p in zip(labels, pred, strict=True):
        confusion[t, p] += 1
    empty_vs_rest = float(np.mean((pred == 0) == (labels == 0)))
    return {"n": len(labels), "accuracy": round(float(np.mean(pred == labels)), 4),
            "empty_vs_not_accuracy": round(empty_vs_rest, 4),
            "confusion": confusion.tolist(), "pred": pred}


def main() -> None:
    args = common.trainer_args(__doc__, "real labelled frames: DIR/<label>/*.jpg", 8000, NAME)
    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()

    print(f"rendering {args.synthetic} training scenes (seed {TRAIN_SEED})", flush=True)
    _, frames, names, _ = common.rendered(TRAIN_SEED, args.synthetic, SIZE, holdout=False,
                                          balanced=True)
    labels = np.array([scenes.LABELS.index(n) for n in names], np.int64)
    if args.frames:
        real_x, real_y = load_real(args.frames)
        frames = np.concatenate([frames] + [real_x] * args.real_weight)
        labels = np.concatenate([labels] + [real_y] * args.real_weight)
    print(f"  {len(frames)} frames ready in {time.monotonic() - started:.0f}s", flush=True)

    net = BayNet()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(TRAIN_SEED)
    rng = np.random.default_rng(TRAIN_SEED)
    mean = torch.tensor(common.MEAN).view(1, 3, 1, 1)
    std = torch.tensor(common.STD).view(1, 3, 1, 1)

    def step(_: int, lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        idx = rng.integers(0, len(frames), 48)
        x = (augment(to_tensor(frames[idx]), gen) - mean) / std
        loss = F.cross_entropy(net(x), torch.from_numpy(labels[idx]), label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    net.train()
    steps = common.train_loop(step, args.max_steps, args.minutes * 60, peak_lr=2e-3)
    model_path = args.out / "model.onnx"
    common.export_onnx(Probabilities(net), SIZE, model_path, ["probs"])

    print(f"rendering {args.holdout} held-out scenes (seed {HOLDOUT_SEED})", flush=True)
    hold_plans, hx, hnames, _ = common.rendered(HOLDOUT_SEED, args.holdout, SIZE, holdout=True,
                                                balanced=True)
    hy = np.array([scenes.LABELS.index(n) for n in hnames], np.int64)
    session = common.ort_session(model_path)
    synthetic = evaluate(session, hx, hy)
    pred = synthetic.pop("pred")
    by_kind = {k: round(float(np.mean([p == t for p, t, pl in zip(pred, hy, hold_plans,
                                                                      strict=True)
                                       if pl.kind == k])), 4) for k in scenes.KINDS}
    metrics: dict[str, object] = {"holdout_accuracy": synthetic["accuracy"],
                                  "holdout_empty_vs_not_accuracy":
                                      synthetic["empty_vs_not_accuracy"],
                                  "holdout_n": synthetic["n"], "confusion": synthetic["confusion"],
                                  "confusion_axes": "rows true, columns predicted, label order",
                                  "holdout_accuracy_by_kind": by_kind, "train_steps": steps,
                                  "batch": 48}
    real = None
    if args.holdout_frames:
        real = evaluate(session, *load_real(args.holdout_frames))
        real.pop("pred")
        metrics["real_holdout"] = real

    manifest = {
        "name": NAME, "file": "model.onnx", "task": "classification",
        "input": common.input_spec(SIZE), "labels": list(scenes.LABELS),
        "output": {"name": "probs", "shape": [-1, 3], "kind": "softmax probabilities",
                   "order": list(scenes.LABELS)},
        "provenance": common.provenance(
            "models/training/train_bay.py", [TRAIN_SEED], HOLDOUT_SEED,
            train_frames=len(frames), real_frames=str(args.frames or ""),
            scene_seed_ranges={"train": [0, scenes.HOLDOUT_SEED_BASE - 1],
                               "holdout": [scenes.HOLDOUT_SEED_BASE, 2**31 - 1]},
            thresholds={"empty_below": scenes.EMPTY_BELOW, "loaded_from": scenes.LOADED_FROM},
            train_fill_ranges=scenes.FILL_RANGES),
        "metrics": metrics,
        "evaluations": common.real_evaluations(args, real, "end_state_accuracy", "empty_vs_not_accuracy"),
        "licence": common.licence(args),
    }
    common.write_manifest(args.out, manifest)
    write_bay_card(args.out, json.loads((args.out / "manifest.json").read_text()))
    print(json.dumps(metrics, indent=1))
    print(f"done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
