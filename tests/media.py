"""Generators of small test recordings: frames drawn with OpenCV, piped to the real ffmpeg.

Scenes are deliberately simple but carry what the checks look at: sensor-like noise (a real
camera is never pixel-identical twice), a moving worker, cargo boxes that leave the bay,
readable numbers. WebM is written to a pipe, so, as from MediaRecorder, it has no duration
in its header.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from contract.manifest import Chunk
from media_pipeline.context import (
    CheckContext,
    DeclarationFacts,
    IntakeFacts,
    Manifest,
    Marker,
    Policy,
    Polygon,
    TrackPoint,
)
from media_pipeline.ffmpeg import ffmpeg_path

W, H = 320, 240
FPS = 5  # enough for every check; rendering scenes dominates the suite's time
Codec = Literal["h264", "vp8", "vp9"]
Frame = np.ndarray


def encode(
    frames: Iterable[Frame],
    out: Path,
    fps: int = FPS,
    codec: Codec = "h264",
    gop_s: float | None = 2.0,
    size: tuple[int, int] = (W, H),
) -> Path:
    """Encode RGB frames. `gop_s=None` gives one keyframe at the start (as MediaRecorder VP8)."""
    gop = str(round((gop_s or 10_000) * fps))
    argv = [
        ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}", "-r", str(fps),
        "-i", "pipe:0",
    ]  # fmt: skip
    if codec == "h264":
        argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", str(out)]
    else:
        lib = "libvpx" if codec == "vp8" else "libvpx-vp9"
        speed = "16" if codec == "vp8" else "8"
        argv += ["-c:v", lib, "-deadline", "realtime", "-cpu-used", speed, "-b:v", "400k"]
        argv += ["-lag-in-frames", "0", "-threads", "1"]
        argv += ["-g", gop, "-auto-alt-ref", "0", "-f", "webm", "pipe:1"]
    with open(out, "wb") if codec != "h264" else open("/dev/null", "wb") as sink:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        finally:
            proc.stdin.close()
            err = proc.stderr.read() if proc.stderr else b""
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(err.decode("utf-8", "replace"))
    return out


# --- scenes -----------------------------------------------------------------------------


def _noise(rng: np.random.Generator, frame: Frame, sigma: float = 4.0) -> Frame:
    n = rng.normal(0.0, sigma, frame.shape[:2])[..., None]
    return np.clip(frame.astype(np.float32) + n, 0, 255).astype(np.uint8)


def _bay_background(size: tuple[int, int], tint: tuple[int, int, int]) -> Frame:
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = tint
    cv2.rectangle(img, (w // 8, h // 8), (w - w // 8, h - h // 6), (58, 58, 64), -1)
    cv2.rectangle(img, (w // 8, h - h // 6), (w - w // 8, h - h // 8), (90, 86, 80), -1)
    for x in range(w // 8, w - w // 8, max(w // 16, 4)):  # ribbed trailer wall: texture for blur
        cv2.line(img, (x, h // 8), (x, h - h // 6), (72, 72, 80), 1)
    return img


def _draw_boxes(img: Frame, n: int, size: tuple[int, int]) -> None:
    w, h = size
    cols, bw, bh = 4, w // 7, h // 7
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = w // 8 + 8 + c * (bw + 4)
        y1 = h - h // 6 - 2 - r * (bh + 3)
        cv2.rectangle(img, (x0, y1 - bh), (x0 + bw, y1), (150, 105, 60), -1)
        cv2.rectangle(img, (x0, y1 - bh), (x0 + bw, y1), (95, 65, 35), 1)
        cv2.line(img, (x0 + bw // 2, y1 - bh), (x0 + bw // 2, y1), (200, 190, 170), 2)


def _draw_worker(img: Frame, t: float, size: tuple[int, int], speed: float = 1.3) -> None:
    w, h = size
    x = int(w / 2 + (w / 3) * np.sin(t * speed))
    y = int(h * 0.6 + (h / 10) * np.sin(t * speed * 2.1))
    cv2.circle(img, (x, y - h // 6), h // 18, (210, 170, 140), -1)
    cv2.rectangle(img, (x - w // 30, y - h // 8), (x + w // 30, y + h // 8), (30, 90, 200), -1)


def _scene_renderer() -> Callable[..., Frame] | None:
    """The vision colleague's bay renderer, when it exists: the real models were trained on it."""
    try:
        module = importlib.import_module("models.training.scenes")
    except ImportError:
        return None
    return getattr(module, "render_scene", None)


def unloading(
    duration: float = 30.0,
    end_empty: bool = True,
    fps: int = FPS,
    size: tuple[int, int] = (W, H),
    seed: int = 0,
    kind: str = "trailer",
) -> Iterator[Frame]:
    """A bay emptied over ~80 % of the take, then shown empty; or left 60 % full.

    Drawn by the vision colleague's `render_scene` when present (what the models learnt),
    otherwise by the simple boxes-in-a-bay drawing below.
    """
    render = _scene_renderer()
    rng = np.random.default_rng(seed)
    bg = _bay_background(size, (120 + 20 * (seed % 3), 125, 135 - 20 * (seed % 3)))
    for i in range(round(duration * fps)):
        t = i / fps
        progress = min(1.0, t / (duration * 0.8))
        fill = 1.0 - progress * (1.0 if end_empty else 0.4)
        if render is not None:
            yield render(seed, kind, fill, 0, t=t, size=size)
            continue
        img = bg.copy()
        _draw_boxes(img, round(8 * fill), size)
        _draw_worker(img, t, size)
        yield _noise(rng, img)


def recount_scene(
    duration: float, places: int, fps: int = FPS, size: tuple[int, int] = (W, H), seed: int = 4
) -> Iterator[Frame]:
    """The emptied vehicle with `places` cargo places set out in front and people about."""
    render = _scene_renderer()
    if render is None:
        yield from recount(duration, [], fps, size)
        return
    for i in range(round(duration * fps)):
        yield render(seed, "trailer", 0.0, places, t=i / fps, size=size)


def still_scene(
    duration: float, fps: int = FPS, size: tuple[int, int] = (W, H), seed: int = 1
) -> Iterator[Frame]:
    """A busy but unmoving scene with sensor noise: continuous, never frozen."""
    rng = np.random.default_rng(seed)
    bg = _bay_background(size, (120, 125, 135))
    _draw_boxes(bg, 6, size)
    for i in range(round(duration * fps)):
        img = bg.copy()
        _draw_worker(img, i / fps, size, speed=0.4)
        yield _noise(rng, img)


def frozen(
    frames: Iterable[Frame], start_s: float, length_s: float, fps: int = FPS
) -> Iterator[Frame]:
    """Repeat one frame exactly for a stretch, as a stalled or looped camera feed would."""
    held: Frame | None = None
    for i, frame in enumerate(frames):
        t = i / fps
        if start_s <= t < start_s + length_s:
            held = frame if held is None else held
            yield held
        else:
            yield frame


def blacked(
    frames: Iterable[Frame], start_s: float, length_s: float, fps: int = FPS
) -> Iterator[Frame]:
    """A covered lens: near-black with a little noise."""
    rng = np.random.default_rng(7)
    for i, frame in enumerate(frames):
        t = i / fps
        if start_s <= t < start_s + length_s:
            yield _noise(rng, np.full_like(frame, 6), sigma=1.5)
        else:
            yield frame


def recount(
    duration: float, taps: list[float], fps: int = FPS, size: tuple[int, int] = (W, H)
) -> Iterator[Frame]:
    """A still bay where a box is moved across the view for ~1.5 s around each tap time."""
    rng = np.random.default_rng(3)
    w, h = size
    bg = _bay_background(size, (120, 125, 135))
    for i in range(round(duration * fps)):
        t = i / fps
        img = bg.copy()
        for tap in taps:
            if abs(t - tap) <= 0.8:
                x = int(w * 0.2 + (t - tap + 0.8) / 1.6 * w * 0.6)
                cv2.rectangle(img, (x, h // 2), (x + w // 5, h // 2 + h // 5), (150, 105, 60), -1)
        yield _noise(rng, img, sigma=1.5)


def exterior(
    text: str,
    plate: str | None = None,
    duration: float = 8.0,
    fps: int = FPS,
    size: tuple[int, int] = (640, 360),
) -> Iterator[Frame]:
    """A container door with its number painted large (and a plate), the camera drifting."""
    rng = np.random.default_rng(5)
    w, h = size
    base = np.zeros((h + 40, w + 40, 3), np.uint8)
    base[:] = (40, 90, 150)  # container blue
    for x in range(0, w + 40, 18):
        cv2.line(base, (x, 0), (x, h + 40), (30, 75, 130), 3)
    owner, rest = text[:4], text[4:]
    spaced = f"{owner} {rest[:6]} {rest[6:]}".strip()
    cv2.putText(
        base, spaced, (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (245, 245, 245), 4, cv2.LINE_AA
    )
    if plate:
        cv2.rectangle(base, (w // 2 - 110, h - 70), (w // 2 + 110, h - 20), (245, 245, 245), -1)
        cv2.putText(
            base,
            plate,
            (w // 2 - 100, h - 30),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.1,
            (20, 20, 20),
            3,
            cv2.LINE_AA,
        )
    for i in range(round(duration * fps)):
        dx = int(10 + 8 * np.sin(i / fps))
        yield _noise(rng, base[10 : 10 + h, dx : dx + w].copy(), sigma=2.0)


def concat(parts: list[Path], out: Path) -> Path:
    """Join takes without re-encoding (concat demuxer), as a quick splice would."""
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts))
    subprocess.run(
        [
            ffmpeg_path(),
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-c",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out


def truncate(src: Path, out: Path, keep: float = 0.5) -> Path:
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def text_file(out: Path) -> Path:
    out.write_text("This is not a video.\n" * 20)
    return out


# --- a catalogue of named recordings, generated once per test process --------------------


@functools.cache
def _workdir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="dosmotr-media-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def _splice() -> Path:
    d = _workdir()
    # odd lengths put the join off the 2 s keyframe cadence, as a quick concat would
    a = encode(unloading(13.3, seed=1), d / "take_a.mp4")
    b = encode(unloading(14.7, seed=2, kind="container"), d / "take_b.mp4")
    return concat([a, b], d / "spliced.mp4")


def _gap() -> Path:
    d = _workdir()
    src = encode(unloading(24.0), d / "gap_src.mp4")
    out = d / "gap.mp4"
    subprocess.run(
        [ffmpeg_path(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src),
         "-c", "copy", "-bsf:v", "setts=pts='PTS+if(gt(PTS,12/TB),5/TB,0)':dts='DTS+if(gt(DTS,12/TB),5/TB,0)'",
         str(out)],
        check=True,
    )  # fmt: skip
    return out


RECIPES: dict[str, Callable[[Path], Path]] = {
    "unloading.mp4": lambda p: encode(unloading(30.0), p),
    "unloading.webm": lambda p: encode(unloading(30.0), p, codec="vp8", gop_s=None),
    "unloading_vp9.webm": lambda p: encode(unloading(12.0), p, codec="vp9", gop_s=None),
    "short.mp4": lambda p: encode(unloading(8.0), p),
    "cargo_left.mp4": lambda p: encode(unloading(30.0, end_empty=False), p),
    "frozen.mp4": lambda p: encode(frozen(unloading(40.0), 10.0, 20.0), p),
    "frozen.webm": lambda p: encode(
        frozen(unloading(40.0), 10.0, 20.0), p, codec="vp8", gop_s=None
    ),
    "black.mp4": lambda p: encode(blacked(unloading(40.0), 15.0, 10.0), p),
    "still.mp4": lambda p: encode(still_scene(20.0), p),
    "spliced.mp4": lambda p: _splice(),
    "gap.mp4": lambda p: _gap(),
    "recount.mp4": lambda p: encode(recount_scene(20.0, places=5), p),
    "taps.mp4": lambda p: encode(recount(20.0, [3.0, 7.0, 11.0]), p),
    "exterior.mp4": lambda p: encode(exterior("CSQU3054383", plate="123ABC02"), p, size=(640, 360)),
    "exterior_bad_digit.mp4": lambda p: encode(exterior("CSQU3054384"), p, size=(640, 360)),
    "truncated.mp4": lambda p: truncate(recording("unloading.mp4"), p, 0.5),
    "truncated.webm": lambda p: truncate(recording("unloading.webm"), p, 0.5),
    "not_video.mp4": text_file,
}


@functools.cache
def recording(name: str) -> Path:
    """The named test recording, generated on first use and shared by the whole run."""
    return RECIPES[name](_workdir() / name)


# --- contexts as the backend would build them ----------------------------------------------

POST_LAT, POST_LON = 45.1852, 82.5716  # a road post; the geofence is ~600 x 600 m around it
_DLAT, _DLON = 0.0027, 0.0038


def geofence() -> Polygon:
    ring = (
        (POST_LON - _DLON, POST_LAT - _DLAT),
        (POST_LON + _DLON, POST_LAT - _DLAT),
        (POST_LON + _DLON, POST_LAT + _DLAT),
        (POST_LON - _DLON, POST_LAT + _DLAT),
        (POST_LON - _DLON, POST_LAT - _DLAT),
    )
    return Polygon(coordinates=(ring,))


def track(duration: float, every: float = 5.0, lat: float = POST_LAT, lon: float = POST_LON):
    """A tablet standing at the bay: small wander, varying accuracy, as real fixes are."""
    n = int(duration // every) + 1
    return tuple(
        TrackPoint(
            t=min(i * every, duration),
            lat=lat + 0.00002 * np.sin(i),
            lon=lon + 0.00002 * np.cos(i),
            acc=6.0 + (i % 3),
        )
        for i in range(n)
    )


def context(
    phase: str = "unloading",
    duration: float = 30.0,
    places: int = 5,
    track_points: tuple[TrackPoint, ...] | None = None,
    markers: tuple[Marker, ...] = (),
    containers: tuple[str, ...] = (),
    plate: str | None = None,
    size: int = 0,
    **policy: Any,
) -> CheckContext:
    end = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)
    base_policy: dict[str, Any] = {
        "min_seconds": 10.0,
        "min_seconds_per_place": 2.0,
        "gps_tolerance_m": 25.0,
        "geofence": geofence(),
        "clock_skew_s": 120.0,
        "count_tolerance": 0,
        "max_speed_mps": 30.0,
    }
    base_policy.update(policy)
    return CheckContext(
        phase=phase,  # type: ignore[arg-type]
        manifest=Manifest(
            device_id="test-tablet",
            mime="video/mp4",
            chunks=(Chunk(i=0, size=max(size, 1), sha256="0" * 64),),
            chain_head="0" * 64,
            sha256="0" * 64,
            size=size,
            recorded_from=end - timedelta(seconds=duration),
            recorded_to=end,
            track=track(duration) if track_points is None else track_points,
            markers=markers,
        ),
        intake=IntakeFacts(
            hash_ok=True,
            chain_ok=True,
            signature_ok=True,
            device_approved=True,
            server_received_at=end + timedelta(seconds=20),
        ),
        policy=Policy(**base_policy),
        declaration=DeclarationFacts(
            places=places, containers=containers, vehicle_plate=plate, post_kind="road"
        ),
    )


def context_for(name: str, **kw: Any) -> CheckContext:
    """A context whose manifest size matches the recording, so integrity passes."""
    path = recording(name)
    return context(size=path.stat().st_size, **kw)
