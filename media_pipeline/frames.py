"""Frame sampling without decoding every frame, and the per-sample measurements checks use.

One ffmpeg process decodes keyframes only (`-skip_frame nokey`), or, when keyframes are too
sparse (MediaRecorder VP8 may key only the first frame), every frame thinned by `fps`;
either way it scales to the analysis size and pipes raw RGB. Frames are yielded one at a
time, so memory does not grow with the length of the take.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from media_pipeline import argv
from media_pipeline.argv import FramePlan, SampleMode
from media_pipeline.ffmpeg import FfmpegError, FfmpegTimeout, Stopwatch, stream

# Keyframes sparser than this leave holes a frozen or black stretch could hide in.
MAX_KEYFRAME_GAP_S = 4.0
FALLBACK_FPS = 1.0
ANALYSIS_SIDE = 320
_THUMB = (80, 60)
_PTS = re.compile(rb"Parsed_showinfo.*?\bpts_time:\s*(-?[0-9.]+)")


def choose_plan(
    max_keyframe_gap_s: float,
    width: int,
    height: int,
    max_side: int = ANALYSIS_SIDE,
    min_fps: float | None = None,
) -> FramePlan:
    """Keyframes when they come at least every ~4 s; otherwise a low fixed rate.

    `min_fps` forces a fixed rate for phases where brief motion matters (a recount tap).
    """
    scale = min(1.0, max_side / max(width, height))
    w = max(2, round(width * scale / 2) * 2)
    h = max(2, round(height * scale / 2) * 2)
    if min_fps is not None:
        return FramePlan("fps", w, h, min_fps)
    mode: SampleMode = "keyframes" if max_keyframe_gap_s <= MAX_KEYFRAME_GAP_S else "fps"
    return FramePlan(mode, w, h, FALLBACK_FPS)


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # seconds from the first packet
    rgb: np.ndarray  # H x W x 3 uint8


def sample(path: str, plan: FramePlan, start_time: float, timeout: float) -> Iterator[Sample]:
    """Yield frames as ffmpeg produces them. Stopping early stops ffmpeg.

    `timeout` is a budget for decoding alone: the clock stops while the caller holds a frame
    (OCR and inference run between frames), so a slow model never times out the decoder.
    Running out of it, or the decoder dying from a signal, raises `FfmpegTransient`.
    """
    frame_bytes = plan.width * plan.height * 3
    times: queue.Queue[float | None] = queue.Queue()
    read_fd, write_fd = os.pipe()
    budget = Stopwatch()
    budget.start()
    with (
        open(write_fd, "wb", buffering=0) as err_w,
        stream(argv.sample_frames(path, plan), timeout=timeout, stderr=err_w, budget=budget) as proc,
    ):
        err_w.close()  # the child holds its own copy; EOF reaches the reader when it exits
        tail: list[bytes] = []
        reader = threading.Thread(target=_read_pts, args=(read_fd, times, tail), daemon=True)
        reader.start()
        n = 0
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            try:
                t = times.get(timeout=max(1.0, timeout - budget.elapsed()))
            except queue.Empty:
                raise FfmpegTimeout(f"no frame time within the {timeout:.0f}s decode budget") from None
            if t is None:  # stderr closed before the frame's line: cannot time it
                break
            n += 1
            rgb = np.frombuffer(buf, np.uint8).reshape(plan.height, plan.width, 3)
            budget.pause()
            yield Sample(max(0.0, t - start_time), rgb)
            budget.start()
        code = proc.proc.wait()
        reader.join(5)
        if proc.timed_out.is_set():
            return  # `stream` raises FfmpegTimeout on the way out
        if budget.elapsed() > timeout:
            # finished between two looks of the watchdog, but past the budget all the same:
            # the budget is the rule, not the watchdog's polling interval
            raise FfmpegTimeout(f"decoding took longer than its {timeout:.0f}s budget")
        proc.raise_if_killed()
        if code != 0 and n == 0:
            message = b"".join(tail).decode("utf-8", "replace").strip().splitlines()
            raise FfmpegError(f"decoding failed: {message[-1] if message else code}")


def _read_pts(fd: int, times: queue.Queue[float | None], tail: list[bytes]) -> None:
    with open(fd, "rb") as f:
        for line in f:
            m = _PTS.search(line)
            if m:
                times.put(float(m.group(1)))
            elif b"showinfo" not in line:
                tail.append(line)
                del tail[:-5]
    times.put(None)


@dataclass(frozen=True, slots=True)
class FrameStats:
    """What continuity, completeness and recount need from one sampled frame."""

    t: float
    luma: float  # mean, 0..255
    contrast: float  # standard deviation of luma
    sharpness: float  # variance of the Laplacian at analysis size
    diff: float  # mean absolute luma difference to the previous sample (0 for the first)
    hist_dist: float  # Bhattacharyya distance of colour histograms to the previous sample


class FrameMeter:
    """Turns the sample stream into `FrameStats`, keeping only the previous thumbnail."""

    def __init__(self) -> None:
        self._prev_thumb: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None
        self.stats: list[FrameStats] = []

    def add(self, s: Sample) -> FrameStats:
        grey = cv2.cvtColor(s.rgb, cv2.COLOR_RGB2GRAY)
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        small = cv2.resize(s.rgb, _THUMB, interpolation=cv2.INTER_AREA)
        hist = cv2.calcHist([small], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3)
        cv2.normalize(hist, hist)
        diff = hist_dist = 0.0
        if self._prev_thumb is not None and self._prev_hist is not None:
            diff = float(np.mean(np.abs(thumb - self._prev_thumb)))
            hist_dist = float(cv2.compareHist(self._prev_hist, hist, cv2.HISTCMP_BHATTACHARYYA))
        self._prev_thumb, self._prev_hist = thumb, hist
        mean, std = cv2.meanStdDev(grey)
        st = FrameStats(
            t=s.t,
            luma=float(mean[0][0]),
            contrast=float(std[0][0]),
            sharpness=float(cv2.Laplacian(grey, cv2.CV_32F).var()),
            diff=diff,
            hist_dist=hist_dist,
        )
        self.stats.append(st)
        return st


def read_all(path: str, plan: FramePlan, timeout: float = 60.0) -> list[Sample]:
    """Every sample in memory: for tests and small tools, never for the pipeline."""
    return list(sample(path, plan, 0.0, timeout))


__all__ = ["FrameMeter", "FramePlan", "FrameStats", "Sample", "choose_plan", "sample"]
