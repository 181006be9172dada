"""Evaluation takes as real video files (ffmpeg, H.264) with the check context the backend
would build for them, so a take goes end to end through `media_pipeline.validate.validate`."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from contract.manifest import Chunk
from media_pipeline.context import (
    CheckContext,
    DeclarationFacts,
    IntakeFacts,
    Manifest,
    Policy,
    TrackPoint,
)
from media_pipeline.ffmpeg import ffmpeg_path
from models.eval.scenes_b import TakeB

FPS = 5


def encode_take(take: TakeB, out: Path, fps: int = FPS) -> Path:
    """Render every frame of `take` and encode it as a tablet would (H.264, keyframe every 2 s)."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    w, h = take.size
    tmp = out.with_suffix(".part.mp4")
    argv = [
        ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:0",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0", str(tmp),
    ]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for i in range(round(take.duration * fps)):
            proc.stdin.write(np.ascontiguousarray(take.frame(i / fps)).tobytes())
    finally:
        proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(err.decode("utf-8", "replace"))
    tmp.rename(out)
    return out


def unloading_context(path: Path, duration: float, places: int = 10) -> CheckContext:
    """Everything but the pictures is in order: signed, on time, at the post, long enough."""
    end = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    track = tuple(
        TrackPoint(t=min(t, duration), lat=45.1852, lon=82.5716, acc=6.0)
        for t in np.arange(0.0, duration + 5.0, 5.0)
    )
    return CheckContext(
        phase="unloading",
        manifest=Manifest(
            device_id="eval-tablet",
            mime="video/mp4",
            chain_head="0" * 64,
            chunks=(Chunk(i=0, size=path.stat().st_size, sha256="0" * 64),),
            sha256="0" * 64,
            size=path.stat().st_size,
            recorded_from=end - timedelta(seconds=duration),
            recorded_to=end,
            track=track,
        ),
        intake=IntakeFacts(
            hash_ok=True,
            chain_ok=True,
            signature_ok=True,
            device_approved=True,
            server_received_at=end + timedelta(seconds=20),
        ),
        policy=Policy(
            min_seconds=10.0,
            min_seconds_per_place=0.0,
            gps_tolerance_m=50.0,
            geofence=None,
            clock_skew_s=120.0,
            count_tolerance=0,
            max_speed_mps=30.0,
        ),
        declaration=DeclarationFacts(places=places),
    )
