"""Cheap signals from packet timestamps, sizes and keyframe flags: demuxing only, no decoding.

They give the true duration of MediaRecorder WebM (no duration in its header), timestamp
gaps and jumps, where keyframes fall (a splice shows as a keyframe off the encoder's cadence)
and stretches of near-empty packets (an encoder has nothing to say about a frozen picture).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from media_pipeline import argv
from media_pipeline.ffmpeg import FfmpegError, stream

PACKETS_TIMEOUT_S = 120.0
# A frozen picture encodes to P-frames of tens of bytes; a live sensor never goes that low.
TINY_PACKET_BYTES = 200
TINY_PACKET_RATIO = 0.1  # VP8 in realtime mode keeps refining a still picture at ~8 % of normal


@dataclass(frozen=True, slots=True)
class Packets:
    """Video packets in presentation order."""

    pts: np.ndarray  # float64 seconds
    size: np.ndarray  # int64 bytes
    key: np.ndarray  # bool
    decode_jumps: tuple[float, ...]  # pts where the decode timestamps went backwards

    @property
    def count(self) -> int:
        return int(self.pts.size)

    @property
    def keyframes(self) -> np.ndarray:
        return self.pts[self.key]

    def duration(self) -> float:
        """First pts to last pts plus one typical frame duration."""
        if self.count == 0:
            return 0.0
        step = self.frame_step()
        return float(self.pts[-1] - self.pts[0] + step)

    def frame_step(self) -> float:
        if self.count < 2:
            return 0.0
        return float(np.median(np.diff(self.pts)))

    def gaps(self, min_gap_s: float) -> list[tuple[float, float]]:
        """Stretches with no packet for at least `min_gap_s` (video-relative seconds)."""
        if self.count < 2:
            return []
        d = np.diff(self.pts)
        idx = np.nonzero(d >= min_gap_s)[0]
        t0 = self.pts[0]
        return [(float(self.pts[i] - t0), float(self.pts[i + 1] - t0)) for i in idx]

    def max_keyframe_interval(self) -> float:
        """Largest stretch without a keyframe, the tail to the end of the take included."""
        if self.count == 0:
            return 0.0
        k = self.keyframes
        if k.size == 0:
            return self.duration()
        end = self.pts[0] + self.duration()
        edges = np.concatenate([[self.pts[0]], k, [end]])
        return float(np.max(np.diff(edges)))

    def irregular_keyframes(self, tolerance: float = 0.3) -> list[float]:
        """Keyframes off the encoder's cadence (video-relative seconds), splice candidates.

        With a regular GOP, a keyframe whose distance to the previous one departs from the
        usual interval is suspect; with keyframes only at the start (MediaRecorder VP8) any
        later keyframe is.
        """
        k = self.keyframes
        if k.size < 2:
            return []
        t0 = self.pts[0]
        intervals = np.diff(k)
        if intervals.size < 3:
            return [float(t - t0) for t in k[1:]]
        usual = float(np.median(intervals))
        odd = np.abs(intervals - usual) > tolerance * usual
        # the last keyframe's interval is legitimately short only if the take ended: not here
        return [float(k[i + 1] - t0) for i in np.nonzero(odd)[0]]

    def _tiny_mask(self, ratio: float = TINY_PACKET_RATIO) -> np.ndarray:
        inter = ~self.key
        if not inter.any():
            return np.zeros(self.count, bool)
        # the upper quartile, not the median: a long freeze must not lower its own yardstick
        typical = float(np.percentile(self.size[inter], 75))
        return inter & (self.size <= max(TINY_PACKET_BYTES, ratio * typical))

    def small_fraction(self, start_s: float, end_s: float, ratio: float) -> float:
        """Share of inter frames in (start_s, end_s] (video-relative) at most `ratio` x the
        take's upper-quartile inter-frame size: an encoder refining a still picture stays well below
        what motion or sensor noise costs."""
        if self.count == 0:
            return 0.0
        t = self.pts - self.pts[0]
        window = (t > start_s) & (t <= end_s) & ~self.key
        if not window.any():
            return 0.0
        return float(np.mean(self._tiny_mask(ratio)[window]))

    def tiny_runs(self, min_s: float) -> list[tuple[float, float]]:
        """Stretches of near-empty inter frames (keyframes ignored) lasting `min_s` or more."""
        if self.count < 2:
            return []
        inter = ~self.key
        tiny = self._tiny_mask() | self.key
        runs: list[tuple[float, float]] = []
        t0, start = self.pts[0], None
        for i, is_tiny in enumerate(tiny):
            if is_tiny and start is None:
                start = i
            if (not is_tiny or i == self.count - 1) and start is not None:
                end = i if is_tiny else i - 1
                # a run made only of keyframes is not a frozen stretch
                if inter[start : end + 1].any() and self.pts[end] - self.pts[start] >= min_s:
                    runs.append((float(self.pts[start] - t0), float(self.pts[end] - t0)))
                start = None
        return runs


def read_packets(path: str, timeout: float = PACKETS_TIMEOUT_S) -> Packets:
    """Stream ffprobe's CSV line by line into compact arrays (a few bytes per packet)."""
    pts, dts, size, key = array("d"), array("d"), array("q"), array("b")
    with stream(argv.packets(path), timeout=timeout) as proc:
        for raw in proc.stdout:
            parsed = _parse_line(raw)
            if parsed is None:
                continue
            p, d, s, k = parsed
            pts.append(p)
            dts.append(d)
            size.append(s)
            key.append(k)
        proc.proc.wait()
        # On a timeout `stream` raises FfmpegTimeout on the way out; a partial packet list
        # from a killed ffprobe would otherwise pass for a short take.
        proc.raise_if_killed()
        if proc.proc.returncode not in (0, None) and not pts and not proc.timed_out.is_set():
            raise FfmpegError("ffprobe could not list packets", proc.stderr())
    return build(np.frombuffer(pts), np.frombuffer(dts), np.frombuffer(size, np.int64),
                 np.frombuffer(key, np.int8).astype(bool))  # fmt: skip


def _parse_line(raw: bytes) -> tuple[float, float, int, bool] | None:
    # pts_time,dts_time,duration_time,size,flags — any field may be N/A in damaged files
    parts = raw.decode("ascii", "replace").strip().split(",")
    if len(parts) < 5:
        return None
    p, d = _num(parts[0]), _num(parts[1])
    if p is None:
        p = d
    if p is None:
        return None
    try:
        s = int(parts[3])
    except ValueError:
        s = 0
    return p, d if d is not None else p, s, "K" in parts[4]


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def build(pts: np.ndarray, dts: np.ndarray, size: np.ndarray, key: np.ndarray) -> Packets:
    """Sort into presentation order (B-frames arrive out of order) and note decode jumps."""
    back = np.nonzero(np.diff(dts) < -1e-6)[0] if dts.size > 1 else np.array([], int)
    t0 = float(pts.min()) if pts.size else 0.0
    jumps = tuple(float(pts[i + 1] - t0) for i in back)
    order = np.argsort(pts, kind="stable")
    return Packets(pts[order].copy(), size[order].copy(), key[order].copy(), jumps)
