"""Media pipeline benchmark: prints wall time, x real time and peak RSS for `validate`, beside a
naive baseline (OpenCV decoding every frame, the same models on every 15th frame).

    .venv/bin/python bench/pipeline.py [--minutes 10] [--vp8-minutes 2]

Recordings are generated once into var/bench/ (1280x720 30 fps H.264, keyframe every 2 s;
a VP8 WebM with a keyframe only at the start, as MediaRecorder writes). Each measurement
runs in its own subprocess so peak RSS is that run's alone: the child reports
getrusage(RUSAGE_SELF) for Python and getrusage(RUSAGE_CHILDREN) for its ffmpeg processes.
Targets: >= 60x real time, >= 5x faster than the baseline, RSS <= 600 MB and flat in length;
with the people/vehicle detector on (about 24 sampled frames) still >= 100x real time.
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

from media_pipeline.ffmpeg import ffmpeg_path

OUT = ROOT / "var" / "bench"
MODELS_DIR = ROOT / "models"


def generate(path: Path, minutes: float, codec: str) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    src = f"testsrc2=s=1280x720:r=30:d={minutes * 60:g}"
    argv = [ffmpeg_path(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src]
    # light temporal noise: a real sensor never repeats a frame; bitrate as a tablet records
    argv += ["-vf", "noise=alls=4:allf=t", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M"]
    if codec == "h264":
        argv += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-keyint_min", "60"]
        argv += ["-sc_threshold", "0", "-pix_fmt", "yuv420p", str(path)]
        subprocess.run(argv, check=True)
    else:
        argv += ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16"]
        argv += ["-g", "100000", "-auto-alt-ref", "0", "-lag-in-frames", "0", "-f", "webm", "-"]
        with open(path, "wb") as f:  # to a pipe: no duration in the header
            subprocess.run(argv, check=True, stdout=f)
    return path


def _models() -> Any:
    from media_pipeline.context import Models

    if not all((MODELS_DIR / m / "manifest.json").is_file() for m in ("bay_occupancy",)):
        return Models()
    from media_pipeline.validate import models_from_registry
    from media_pipeline.vision.registry import ModelRegistry

    return models_from_registry(ModelRegistry(MODELS_DIR), with_ocr=False)


def child_validate(path: str, detector: bool = True) -> dict[str, Any]:
    import msgspec

    from media_pipeline.validate import validate
    from tests import media  # the backend-shaped context the tests use

    models = _models()
    if not detector:  # the people/vehicle detector (NanoDet) off, to show what it costs
        models = msgspec.structs.replace(models, detector=None)
    ctx = media.context(size=Path(path).stat().st_size, duration=0.0)
    t0 = time.perf_counter()
    report = validate(path, ctx, models)
    wall = time.perf_counter() - t0
    probe = report.check("probe")
    return {
        "wall": wall,
        "verdict": report.verdict,
        "probe": probe.detail if probe else "",
        "models": [m.name for m in report.models],
    }


def child_baseline(path: str) -> dict[str, Any]:
    import cv2
    import numpy as np

    models = _models()
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(path)
    batch: list[np.ndarray] = []
    i = 0
    while True:
        ok, frame = cap.read()  # decodes every frame: OpenCV has no keyframe-only mode
        if not ok:
            break
        if i % 15 == 0:
            small = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (320, 180))
            batch.append(small)
            if len(batch) == 32:
                _infer(models, np.stack(batch))
                batch = []
        i += 1
    if batch:
        _infer(models, np.stack(batch))
    cap.release()
    return {"wall": time.perf_counter() - t0, "frames": i}


def _infer(models: Any, frames: Any) -> None:
    if models.occupancy is not None:
        models.occupancy.predict(frames)


def measure(kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its RSS is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child_main(kind: str, path: str) -> None:
    if kind.startswith("validate"):
        result = child_validate(path, detector=kind != "validate-nodet")
    else:
        result = child_baseline(path)
    # ru_maxrss is in KiB on Linux
    result["rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_ffmpeg_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def _row(label: str, seconds: float, r: dict[str, Any]) -> str:
    peak = r["rss_self_mb"] + r["rss_ffmpeg_mb"]
    return (
        f"{label:<34} {r['wall']:7.1f} s  {seconds / r['wall']:7.1f}x real time  "
        f"RSS python {r['rss_self_mb']:5.0f} MB + ffmpeg {r['rss_ffmpeg_mb']:4.0f} MB = {peak:5.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--vp8-minutes", type=float, default=2.0)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"))
    args = ap.parse_args()
    if args.child:
        _child_main(*args.child)
        return

    t0 = time.perf_counter()
    long = generate(OUT / f"h264_720p30_{args.minutes:g}min.mp4", args.minutes, "h264")
    short = generate(OUT / "h264_720p30_1min.mp4", 1.0, "h264")
    vp8 = generate(OUT / f"vp8_720p30_{args.vp8_minutes:g}min.webm", args.vp8_minutes, "vp8")
    print(f"generated test recordings in {time.perf_counter() - t0:.0f} s (cached in {OUT})")
    have = (MODELS_DIR / "bay_occupancy" / "manifest.json").is_file()
    print("models:", "bay_occupancy via the vision loader" if have else "none found (frames only)")

    secs = args.minutes * 60
    ours = measure("validate", long)
    nodet = measure("validate-nodet", long)
    base = measure("baseline", long)
    one = measure("validate", short)
    webm = measure("validate", vp8)
    print(f"\nH.264 1280x720 30 fps, {args.minutes:g} min, unloading phase")
    print(_row("validate (keyframes, one ffmpeg)", secs, ours))
    print(_row("validate, people detector off", secs, nodet))
    print(f"people/vehicle detector (NanoDet, sampled frames): +{ours['wall'] - nodet['wall']:.1f} s"
          f" ({secs / ours['wall']:.0f}x vs {secs / nodet['wall']:.0f}x real time; target >= 100x)")
    print(_row("baseline (OpenCV all, model /15)", secs, base))
    print(f"speed-up over baseline: {base['wall'] / ours['wall']:.1f}x")
    print(f"\nRSS flatness: 1 min {one['rss_self_mb']:.0f} MB vs {args.minutes:g} min "
          f"{ours['rss_self_mb']:.0f} MB (python); ffmpeg {one['rss_ffmpeg_mb']:.0f} vs "
          f"{ours['rss_ffmpeg_mb']:.0f} MB")  # fmt: skip
    print(_row("validate 1 min", 60.0, one))
    print(f"\nVP8 WebM 1280x720 30 fps, {args.vp8_minutes:g} min, keyframe only at the start")
    print(_row("validate (fps=1 fallback)", args.vp8_minutes * 60, webm))
    print(f"  probe: {webm['probe']}")


if __name__ == "__main__":
    main()
