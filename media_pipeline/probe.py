"""Container and stream facts from ffprobe, with a readable reason when the input is no video."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import msgspec

from media_pipeline import argv
from media_pipeline.ffmpeg import FfmpegError, FfmpegTransient, last_line, run

PROBE_TIMEOUT_S = 30.0

# Demuxers that open still images: a JPEG renamed .mp4 is "decodable" but is no recording.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng", "webp")


class ProbeError(Exception):
    """The file is not a decodable video; the message is the reason shown to people."""


class ProbeInfo(msgspec.Struct, frozen=True):
    container: str
    codec: str
    width: int  # as displayed, i.e. after rotation
    height: int
    fps: float
    rotation: int
    creation_time: str | None
    header_duration: float | None  # None for MediaRecorder WebM
    start_time: float
    has_audio: bool
    bit_rate: int | None


def probe(path: str, timeout: float = PROBE_TIMEOUT_S) -> ProbeInfo:
    try:
        done = run(argv.probe(path), timeout=timeout, check=False)
    except FfmpegTransient:
        raise  # the machine failed, not the file: retried, never a verdict
    except FfmpegError as exc:
        raise ProbeError(str(exc)) from exc
    if done.returncode != 0:
        why = last_line(done.stderr).replace(f"{path}: ", "")
        raise ProbeError(f"not a readable media file: {why}")
    try:
        data = json.loads(done.stdout.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError as exc:
        raise ProbeError("ffprobe returned no usable description") from exc
    return parse(data)


def parse(data: dict[str, Any]) -> ProbeInfo:
    """Pure part of `probe`, split out so odd ffprobe answers are unit-testable."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = [
        s for s in streams
        if s.get("codec_type") == "video"
        and not (s.get("disposition") or {}).get("attached_pic")
    ]  # fmt: skip
    container = str(fmt.get("format_name") or "unknown")
    if not video:
        kinds = sorted({str(s.get("codec_type")) for s in streams}) or ["nothing"]
        raise ProbeError(f"no video stream ({container} with {', '.join(kinds)})")
    if any(container.endswith(f) or container == f for f in _IMAGE_FORMATS):
        raise ProbeError(f"a still image ({container}), not a recording")
    v = video[0]
    width, height = int(v.get("width") or 0), int(v.get("height") or 0)
    if width <= 0 or height <= 0:
        raise ProbeError(f"video stream {v.get('codec_name')} has no picture size")
    rotation = _rotation(v)
    if rotation % 180:
        width, height = height, width
    tags = {**(fmt.get("tags") or {}), **(v.get("tags") or {})}
    return ProbeInfo(
        container=container,
        codec=str(v.get("codec_name") or "unknown"),
        width=width,
        height=height,
        fps=_rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate")) or 0.0,
        rotation=rotation,
        creation_time=tags.get("creation_time") or tags.get("CREATION_TIME"),
        header_duration=_positive(fmt.get("duration")) or _positive(v.get("duration")),
        start_time=_positive(v.get("start_time")) or _positive(fmt.get("start_time")) or 0.0,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        bit_rate=int(fmt["bit_rate"]) if str(fmt.get("bit_rate", "")).isdigit() else None,
    )


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) % 360 if rotate and str(rotate).lstrip("-").isdigit() else 0


def _rate(value: object) -> float | None:
    try:
        r = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return float(r) if r > 0 else None


def _positive(value: object) -> float | None:
    try:
        f = float(str(value))
    except ValueError:
        return None
    return f if f > 0 else None
