"""IDK assistance benchmark: images per second of the X-ray model (decode + assess, as the worker
runs it) for 4000 x 1000 and 8000 x 2000 16-bit scans on 2 threads, and peak RSS, beside two
baselines: a plain decode of the same file, and the same net run naively at full resolution
(the image cut into strips of the net's input height, no downscaling).

    .venv/bin/python bench/idk.py [--seconds 8]

Scans are generated once into var/bench/idk/. Each measurement runs in its own subprocess, so
peak RSS (getrusage) is that run's alone. Target: >= 2 images/s at 4000 x 1000.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "var" / "bench" / "idk"
SIZES = ((4000, 1000, "png"), (8000, 2000, "tiff"))


def generate(width: int, height: int, fmt: str) -> Path:
    path = OUT / f"scan-{width}x{height}.{fmt}"
    if path.exists():
        return path
    from backend.idk.xray import XraySpec, encode, render

    OUT.mkdir(parents=True, exist_ok=True)
    trans, _, _ = render(XraySpec(seed=7, width=width, height=height, packaging="boxes",
                                  hidden_block=True, voids=1))
    path.write_bytes(encode(trans, fmt, 16))  # type: ignore[arg-type]
    return path


def _model() -> Any:
    from media_pipeline.vision.registry import ModelRegistry
    from media_pipeline.vision.xray import XrayAssistModel

    model = XrayAssistModel(ModelRegistry(ROOT / "models", threads=2))
    model.load()
    return model


def naive(model: Any, pixels: Any) -> int:
    """The net over the full-resolution image in strips of its input height: no downscale."""
    import numpy as np

    from media_pipeline.vision.xray import air_level

    session = model.load().session
    name = session.get_inputs()[0].name
    h = model.height
    air = air_level(pixels)
    found = 0
    for y0 in range(0, pixels.shape[0], h):
        strip = pixels[y0 : y0 + h].astype(np.float32)
        x = np.zeros((1, 1, h, -(-strip.shape[1] // 8) * 8), np.float32)
        x[0, 0, : strip.shape[0], : strip.shape[1]] = -np.log(
            np.clip(strip / air, 1e-3, 1.0)) * model.scale
        found += int((session.run(["anomaly"], {name: x})[0] >= 0.5).sum())
    return found


def child(mode: str, path: Path, seconds: float) -> dict[str, Any]:
    from backend.idk.images import open_scan, read_pixels, reduce_pixels
    from media_pipeline.idk_assess import image_opinion

    model = _model() if mode != "decode" else None
    reduced, size = None, (0, 0)
    if mode == "model_only":
        with open_scan(path) as im:
            size = im.size
            reduced = reduce_pixels(im, size[1] // (2 * model.height))

    def once() -> None:
        if mode == "assist":  # exactly what the worker does with a stored scan
            image_opinion(model, path)
        elif mode == "decode":
            with open_scan(path):
                pass
        elif mode == "naive":
            naive(model, read_pixels(path))
        else:  # model_only: the net with its pre/post-processing on a decoded, reduced image
            model.assess(reduced, size)

    once()  # warm-up: the first run plans memory
    n, start = 0, time.perf_counter()
    while n == 0 or time.perf_counter() - start < seconds:
        once()
        n += 1
    elapsed = time.perf_counter() - start
    return {"images": n, "seconds": round(elapsed, 3), "per_s": round(n / elapsed, 2),
            "ms": round(1000 * elapsed / n, 1), "peak_rss_mb": round(peak_rss_kb() / 1024, 1)}


def peak_rss_kb() -> int:
    """This process's own high-water mark. Not getrusage: Linux carries ru_maxrss over fork
    and exec, so a child would report the parent's peak (the image generator's)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(mode: str, path: Path, seconds: float) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(seconds)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "SECONDS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, path, seconds = args.child[0], Path(args.child[1]), float(args.child[2])
        print(json.dumps(child(mode, path, seconds)))
        return
    print("IDK X-ray assistance, 2 threads; each line its own process (peak RSS is its own)")
    print(f"{'input':>11} {'mode':<34} {'img/s':>7} {'ms/img':>8} {'peak RSS MB':>12}")
    for width, height, fmt in SIZES:
        path = generate(width, height, fmt)
        label = f"{width}x{height}"
        rows = [("decode + assess (the worker)", measure("assist", path, args.seconds)),
                ("assess only (decoded, reduced)", measure("model_only", path, args.seconds)),
                ("baseline: plain decode", measure("decode", path, args.seconds)),
                ("baseline: net at full resolution", measure("naive", path, args.seconds))]
        for name, r in rows:
            print(f"{label:>11} {name:<34} {r['per_s']:>7} {r['ms']:>8} {r['peak_rss_mb']:>12}",
                  flush=True)
        if width == 4000:
            ok = rows[0][1]["per_s"] >= 2.0
            print(f"{'':>11} target >= 2 images/s at 4000x1000 (decode + assess): "
                  f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
