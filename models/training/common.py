"""What both trainers share: data generation, frame loading, the time-boxed loop, export, manifest.

Runs in the training venv (torch); nothing under media_pipeline imports this.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import scenes

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "models"
# ImageNet statistics: a customs service fine-tuning from a pretrained backbone keeps them.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def trainer_args(doc: str | None, frames_help: str, max_steps: int, name: str) -> argparse.Namespace:
    """The command line every scene trainer shares (real frames, budgets, output folder)."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--frames", type=Path, help=frames_help)
    ap.add_argument("--holdout-frames", type=Path)
    ap.add_argument("--real-weight", type=int, default=3, help="times each real frame repeats")
    ap.add_argument("--synthetic", type=int, default=15000)
    ap.add_argument("--holdout", type=int, default=900)
    ap.add_argument("--minutes", type=float, default=10.0, help="training-loop wall-time budget")
    ap.add_argument("--max-steps", type=int, default=max_steps)
    ap.add_argument("--out", type=Path, default=MODELS_DIR / name)
    ap.add_argument("--post-code", help="the post whose footage --frames/--holdout-frames are "
                    "(dosmotr training export --post): the held-out figure is recorded for it")
    return ap.parse_args()


def real_evaluations(args: argparse.Namespace, real: dict[str, Any] | None, metric: str,
                     key: str) -> list[dict[str, Any]]:
    """The manifest's `evaluations` entry for the real held-out frames, which the pipeline
    reads to decide whether a post may make the model's check binding
    (media_pipeline.vision.registry.binding_checks)."""
    if not real or not args.holdout_frames:
        return []
    entry: dict[str, Any] = {"dataset": str(args.holdout_frames), "kind": "real", "metric": metric,
                             "value": real[key], "n": int(real["n"]),
                             "date": dt.date.today().isoformat(), "script": "models/training"}
    if args.post_code:
        entry["post_code"] = str(args.post_code).upper()
    return [entry]


def licence(args: argparse.Namespace) -> str:
    if args.frames:
        return "Apache-2.0 (trained by Dosmotr on synthetic data and a post's own labelled frames)"
    return "Apache-2.0 (trained by Dosmotr on synthetic data only)"


def to_input(frame_rgb: np.ndarray, size: int) -> np.ndarray:
    """The exact resize media_pipeline.vision does: squash the whole frame to size x size."""
    return cv2.resize(frame_rgb, (size, size), interpolation=cv2.INTER_AREA)


def _render(args: tuple[scenes.ScenePlan, int]) -> tuple[np.ndarray, str, np.ndarray]:
    plan, size = args
    scene = scenes.compose_scene(plan.rng_seed, plan.kind, plan.fill_fraction,
                                 plan.n_places_visible, plan.t, plan.size)
    w, h = plan.size
    centres = scene.places * np.array([size / w, size / h], np.float32)
    return to_input(scene.image, size), scene.label, centres


def plans(master_seed: int, n: int, holdout: bool, balanced: bool) -> list[scenes.ScenePlan]:
    rng = np.random.default_rng(master_seed)
    out = []
    for i in range(n):
        label = scenes.LABELS[i % 3] if balanced else None
        out.append(scenes.sample_plan(rng, label, holdout=holdout))
    return out


def render_many(plan_list: list[scenes.ScenePlan], size: int, workers: int = 2
                ) -> tuple[np.ndarray, list[str], list[np.ndarray]]:
    """Renders in worker processes (order preserved, so the set is deterministic)."""
    jobs = [(p, size) for p in plan_list]
    if workers > 1:
        with get_context("fork").Pool(workers) as pool:
            results = pool.map(_render, jobs, chunksize=64)
    else:
        results = [_render(j) for j in jobs]
    frames = np.stack([r[0] for r in results])
    return frames, [r[1] for r in results], [r[2] for r in results]


CACHE_DIR = Path(os.environ.get("DOSMOTR_SCENE_CACHE", "/tmp/dosmotr-scenes"))


def _generator_digest() -> str:
    """Changes whenever the generator's code does, so a cached set is never stale."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("scenes.py", "scene_layout.py", "scene_parts.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def rendered(master_seed: int, n: int, size: int, holdout: bool, balanced: bool
             ) -> tuple[list[scenes.ScenePlan], np.ndarray, list[str], list[np.ndarray]]:
    """plans + render_many, cached in /tmp (never in the repo) across re-runs."""
    plan_list = plans(master_seed, n, holdout, balanced)
    key = f"{_generator_digest()}-{master_seed}-{n}-{size}-{int(holdout)}-{int(balanced)}"
    path = CACHE_DIR / f"{key}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        centres = np.split(data["centres"], np.cumsum(data["n_centres"])[:-1])
        return plan_list, data["frames"], [str(v) for v in data["labels"]], centres
    frames, labels, centres = render_many(plan_list, size)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, frames=frames, labels=np.array(labels),
             centres=np.concatenate(centres).reshape(-1, 2) if centres else np.zeros((0, 2)),
             n_centres=np.array([len(c) for c in centres]))
    tmp.rename(path)
    return plan_list, frames, labels, centres


def iter_labelled_images(root: Path) -> Iterator[tuple[Path, str]]:
    """(image, sub-folder name) for every image below root/<label>/."""
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        for img in sorted(sub.rglob("*")):
            if img.suffix.lower() in IMAGE_EXTS:
                yield img, sub.name


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def lr_at(step: int, total: int, peak: float, warmup: int = 100) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * 0.5 * (1 + np.cos(np.pi * progress)) + peak * 0.01


def train_loop(step_fn: Callable[[int, float], float], max_steps: int, budget_s: float,
               peak_lr: float, log_every: int = 200) -> int:
    """Runs step_fn(step, lr) -> loss until max_steps or the wall-time budget.

    The cosine schedule is re-sized every few steps to what the remaining budget allows at
    the recent pace, so on a busy shared machine training gets shorter but still anneals,
    instead of overrunning the time limit or stopping at a high learning rate."""
    start = time.monotonic()
    total = max_steps
    losses: list[float] = []
    marks: list[tuple[int, float]] = [(0, 0.0)]
    step = 0
    while step < total:
        losses.append(step_fn(step, lr_at(step, total, peak_lr)))
        step += 1
        elapsed = time.monotonic() - start
        if step % 25 == 0:
            marks.append((step, elapsed))
            s0, t0 = marks[max(0, len(marks) - 9)]
            pace = (elapsed - t0) / max(1, step - s0)
            total = min(max_steps, max(step + 1, step + int((budget_s - elapsed) / pace)))
        if step % log_every == 0:
            print(f"  step {step}/{total} loss {np.mean(losses[-log_every:]):.4f} "
                  f"{elapsed:.0f}s", flush=True)
    return step


def export_onnx(model: Any, size: int, path: Path, output_names: list[str]) -> None:
    import torch

    model.eval()
    dummy = torch.zeros(1, 3, size, size)
    axes = {"images": {0: "batch"}, **{name: {0: "batch"} for name in output_names}}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (dummy,), str(path), opset_version=17, dynamo=False,
                      input_names=["images"], output_names=output_names, dynamic_axes=axes)
    import onnx

    onnx.checker.check_model(onnx.load(str(path)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(model_dir: Path, manifest: dict[str, Any]) -> None:
    """Fills in sha256 and the date from the file actually on disk."""
    manifest = dict(manifest)
    manifest["sha256"] = sha256_of(model_dir / manifest["file"])
    manifest.setdefault("provenance", {})["date"] = dt.date.today().isoformat()
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def input_spec(size: int) -> dict[str, Any]:
    return {"name": "images", "shape": [-1, 3, size, size], "layout": "NCHW", "color": "RGB",
            "dtype": "float32", "scale": 1 / 255, "mean": list(MEAN), "std": list(STD),
            "size": [size, size], "resize": "squash, cv2.INTER_AREA"}


def ort_session(path: Path) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def normalise(frames_u8: np.ndarray) -> np.ndarray:
    x = frames_u8.astype(np.float32) / 255.0
    x = (x - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def torch_version() -> str:
    import torch

    return str(torch.__version__)


def provenance(script: str, train_seeds: list[int], holdout_seed: int, **extra: Any
               ) -> dict[str, Any]:
    return {"generator": "models/training/scenes.py", "generator_digest": _generator_digest(),
            "train_seeds": train_seeds,
            "holdout_seed": holdout_seed, "script": script, "torch_version": torch_version(),
            **extra}
