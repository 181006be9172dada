"""Trains the X-ray assistance model into models/xray_assist/ (runs in the TRAINING venv).

    nice -n 10 .venv-train/bin/python -m models.training.train_xray [--minutes 11.5]

1. The synthetic set is made by `xray_data` in the app venv (it needs the app's generator and
   the pipeline's own preprocessing), cached under /tmp/dosmotr-xray, never in the repository.
2. A small fully convolutional net (stride 8, dilated context) learns per cell: anomaly kinds,
   the load's attenuation without the vehicle, and the bay; one thread, a wall-time budget.
3. The export (ONNX opset 17, any width, height fixed) is scored by `xray_eval` in the app
   venv, through `media_pipeline.vision.xray` exactly as the worker runs it, on held-out images
   whose seeds training never saw; that writes manifest.json and CARD.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import common

NAME = "xray_assist"
TRAIN_SEED = 303
HEIGHT, STRIDE = 192, 8
CROP_CELLS = 48  # training windows of 384 input pixels; the net is fully convolutional
CACHE = Path(os.environ.get("DOSMOTR_XRAY_CACHE", "/tmp/dosmotr-xray"))
APP_PYTHON = common.REPO / ".venv" / "bin" / "python"


def _block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class XrayNet(nn.Module):
    """Stride 8; dilations 2, 4, 8 give each cell the whole height of the vehicle as context
    (a dark cell is cargo, wall or wheel depending on where it is)."""

    def __init__(self, kinds: int = 3) -> None:
        super().__init__()
        self.kinds = kinds
        self.features = nn.Sequential(
            _block(1, 16, 2), _block(16, 24, 2), _block(24, 24), _block(24, 40, 2),
            _block(40, 40, dilation=2), _block(40, 40, dilation=4), _block(40, 40, dilation=8),
        )
        self.head = nn.Conv2d(40, kinds + 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class Exported(nn.Module):
    """What the pipeline runs: probabilities, non-negative attenuation, bay probability."""

    def __init__(self, net: XrayNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.net(x)
        k = self.net.kinds
        return torch.sigmoid(out[:, :k]), F.softplus(out[:, k : k + 1]), torch.sigmoid(out[:, k + 1 :])


def _generator_digest() -> str:
    """Changes whenever the generator or the data code does, so a cached set is never stale."""
    digest = hashlib.sha256()
    for name in ("backend/idk/xray.py", "backend/idk/xray_parts.py", "backend/idk/xray_cargo.py",
                 "models/training/xray_data.py", "media_pipeline/vision/xray.py"):
        digest.update((common.REPO / name).read_bytes())
    return digest.hexdigest()[:12]


def dataset(n: int) -> dict[str, np.ndarray]:
    path = CACHE / f"train-{_generator_digest()}-{TRAIN_SEED}-{n}.npz"
    if not path.exists():
        print(f"making {n} training images with {APP_PYTHON}", flush=True)
        subprocess.run([str(APP_PYTHON), "-m", "models.training.xray_data", "--master-seed",
                        str(TRAIN_SEED), "--n", str(n), "--split", "train", "--out", str(path)],
                       check=True, cwd=common.REPO)
    data = np.load(path)
    return {k: data[k] for k in data.files}


def batch(data: dict[str, np.ndarray], rng: np.random.Generator, size: int
          ) -> tuple[torch.Tensor, ...]:
    offsets = data["offsets"]
    xs, an, wt, ct, by = [], [], [], [], []
    for i in rng.integers(0, len(offsets) - 1, size):
        c0, c1 = int(offsets[i]), int(offsets[i + 1])
        start = int(rng.integers(c0, max(c0 + 1, c1 - CROP_CELLS + 1)))
        end = start + CROP_CELLS
        if end > c1:  # a narrow image: pad with air
            start, end = c0, c0 + CROP_CELLS
        sl = slice(start, min(end, c1))
        pad = CROP_CELLS - (sl.stop - sl.start)
        x = data["x"][:, sl.start * STRIDE : sl.stop * STRIDE].astype(np.float32)
        a, w = data["anomaly"][:, :, sl].astype(np.float32), data["weight"][:, :, sl].astype(np.float32)
        c, b = data["contents"][:, sl].astype(np.float32), data["bay"][:, sl].astype(np.float32)
        if pad:
            x = np.pad(x, ((0, 0), (0, pad * STRIDE)))
            a, w = np.pad(a, ((0, 0), (0, 0), (0, pad))), np.pad(w, ((0, 0), (0, 0), (0, pad)), constant_values=1)
            c, b = np.pad(c, ((0, 0), (0, pad))), np.pad(b, ((0, 0), (0, pad)))
        if rng.random() < 0.5:  # scans run in both directions
            x, a, w, c, b = x[:, ::-1], a[:, :, ::-1], w[:, :, ::-1], c[:, ::-1], b[:, ::-1]
        # an air level read a little off shifts every attenuation by a constant
        x = np.clip(x + rng.normal(0, 0.02), 0, None)
        xs.append(x), an.append(a), wt.append(w), ct.append(c), by.append(b)
    return tuple(torch.from_numpy(np.ascontiguousarray(np.stack(v))) for v in (xs, an, wt, ct, by))


def export(net: XrayNet, path: Path) -> None:
    model = Exported(net).eval()
    dummy = torch.zeros(1, 1, HEIGHT, 384)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["anomaly", "contents", "bay"]
    torch.onnx.export(model, (dummy,), str(path), opset_version=17, dynamo=False,
                      input_names=["images"], output_names=names,
                      dynamic_axes={"images": {0: "batch", 3: "width"},
                                    **{n: {0: "batch", 3: "cells"} for n in names}})
    import onnx

    onnx.checker.check_model(onnx.load(str(path)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=2400)
    ap.add_argument("--minutes", type=float, default=11.5, help="training-loop wall-time budget")
    ap.add_argument("--max-steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", type=Path, default=common.MODELS_DIR / NAME)
    ap.add_argument("--skip-eval", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(TRAIN_SEED)
    started = time.monotonic()
    data = dataset(args.images)
    print(f"  {len(data['offsets']) - 1} images ready in {time.monotonic() - started:.0f}s",
          flush=True)

    net = XrayNet()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    rng = np.random.default_rng(TRAIN_SEED)
    pos_weight = torch.tensor([3.0, 3.0, 3.0]).view(1, 3, 1, 1)

    def step(_: int, lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        x, a, w, c, b = batch(data, rng, args.batch)
        out = net(x[:, None])
        target = (a * 2).clamp(0, 1)
        loss_a = (F.binary_cross_entropy_with_logits(out[:, :3], target, weight=w,
                                                     pos_weight=pos_weight, reduction="sum")
                  / w.sum().clamp(min=1))
        loss_c = F.smooth_l1_loss(F.softplus(out[:, 3]), c, beta=0.1)
        loss_b = F.binary_cross_entropy_with_logits(out[:, 4], b)
        loss = loss_a + loss_c + 0.5 * loss_b
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.item())

    net.train()
    steps = common.train_loop(step, args.max_steps, args.minutes * 60, peak_lr=3e-3)
    export(net, args.out / "model.onnx")
    print(f"exported after {steps} steps, {time.monotonic() - started:.0f}s", flush=True)
    if not args.skip_eval:
        subprocess.run([str(APP_PYTHON), "-m", "models.training.xray_eval", "--model-dir",
                        str(args.out), "--train-steps", str(steps), "--train-images",
                        str(args.images), "--batch", str(args.batch),
                        "--torch-version", str(torch.__version__)], check=True, cwd=common.REPO)
    print(f"done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
