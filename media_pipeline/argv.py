"""Pure argv builders for ffprobe/ffmpeg: no I/O, so every command line is unit-tested.

The program name is left as a bare `ffmpeg` / `ffprobe`; `media_pipeline.ffmpeg.resolve`
swaps in the binary actually found. ffmpeg-python composes the filter graphs;
ffprobe lines are short enough to spell out (and `ffmpeg.probe` itself has no timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ffmpeg

SampleMode = Literal["keyframes", "fps"]

_QUIET = ("-nostdin", "-hide_banner", "-nostats")


def probe(path: str) -> list[str]:
    """Container and stream facts as JSON (the same fields `ffmpeg.probe` asks for)."""
    return ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path]


def packets(path: str) -> list[str]:
    """Video packet timestamps, sizes and flags: demux only, nothing is decoded."""
    return [
        "ffprobe", "-v", "error", "-select_streams", "v:0",
        "-show_entries", "packet=pts_time,dts_time,duration_time,size,flags",
        "-of", "csv=p=0", path,
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FramePlan:
    """How to sample frames: keyframes only, or a low fixed rate when keyframes are sparse."""

    mode: SampleMode
    width: int
    height: int
    fps: float = 1.0


def sample_frames(path: str, plan: FramePlan) -> list[str]:
    """One ffmpeg process: decode (keyframes only, or all then `fps`), scale, raw RGB to stdout.

    `showinfo` prints each emitted frame's pts on stderr, the only place the timestamps of a
    raw video pipe survive; `fps_mode passthrough` stops ffmpeg inventing or dropping frames.
    """
    input_args = {"skip_frame": "nokey"} if plan.mode == "keyframes" else {}
    stream = ffmpeg.input(path, **input_args).video
    if plan.mode == "fps":
        stream = stream.filter("fps", fps=_rate(plan.fps))
    stream = stream.filter("scale", plan.width, plan.height, flags="area").filter("showinfo")
    out = stream.output("pipe:", format="rawvideo", pix_fmt="rgb24", fps_mode="passthrough")
    return _compile(out, "info")


def _compile(out: ffmpeg.nodes.OutputStream, loglevel: str, *extra: str) -> list[str]:
    # ffmpeg-python appends global options after the output file, where ffmpeg >= 5 warns they
    # "may be ignored"; put them right after the program name instead.
    args = list(out.get_args())
    return ["ffmpeg", *_QUIET, "-loglevel", loglevel, *extra, *args]


def _rate(fps: float) -> str:
    return str(int(fps)) if float(fps).is_integer() else f"{fps:.6g}"


def still_jpeg(path: str, out_path: str, at_s: float, width: int) -> list[str]:
    """One frame as JPEG; `-ss` before `-i` seeks by keyframe, so it stays fast on long takes."""
    out = (
        ffmpeg.input(path, ss=f"{max(at_s, 0.0):.3f}")
        .video.filter("scale", width, -2)
        .output(out_path, vframes=1, **{"q:v": 3})
    )
    return _compile(out, "error", "-y")


def faststart_mp4(
    path: str, out_path: str, copy_video: bool, has_audio: bool, preset: str = "veryfast"
) -> list[str]:
    """Streamable MP4: remux H.264 untouched, otherwise transcode; moov atom moved to the front."""
    src = ffmpeg.input(path)
    streams = [src.video] + ([src.audio] if has_audio else [])
    opts: dict[str, object] = {"movflags": "+faststart", "map_metadata": 0}
    if copy_video:
        opts["c:v"] = "copy"
    else:
        opts.update({"c:v": "libx264", "preset": preset, "crf": 23, "pix_fmt": "yuv420p"})
    if has_audio:
        # WebM carries Opus, which old MP4 players refuse; AAC plays everywhere.
        opts.update({"c:a": "aac", "b:a": "96k"})
    return _compile(ffmpeg.output(*streams, out_path, format="mp4", **opts), "error", "-y")
