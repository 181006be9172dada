"""Renditions for auditors, written beside the original and never replacing it: a faststart
MP4 for players, a poster JPEG, and a contact sheet of sampled frames marked with the checks.
Functions take paths and return paths; the worker uploads them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from contract.report import ValidationReport
from media_pipeline import argv
from media_pipeline import frames as fr
from media_pipeline.ffmpeg import run
from media_pipeline.packets import read_packets
from media_pipeline.probe import probe

TILE_SIDE = 240
_COLOURS = {"pass": (40, 160, 60), "warn": (230, 160, 0), "fail": (210, 40, 40),
            "unavailable": (120, 120, 120)}  # RGB; a check that could not run is grey


def _beside(src: Path, suffix: str, out_dir: Path | None) -> Path:
    out = (out_dir or src.parent) / f"{src.stem}{suffix}"
    if out.resolve() == src.resolve():
        raise ValueError(f"refusing to overwrite the original {src}")
    return out


def _duration(src: Path) -> float:
    info = probe(str(src))
    return read_packets(str(src)).duration() or info.header_duration or 0.0


def faststart_mp4(src: Path, out_dir: Path | None = None, preset: str = "veryfast") -> Path:
    """Remux H.264 as is (seconds even for long takes); transcode anything else to H.264."""
    info = probe(str(src))
    out = _beside(src, ".faststart.mp4", out_dir)
    copy = info.codec == "h264"
    budget = 60.0 + (_duration(src) * (0.5 if copy else 4.0))
    run(argv.faststart_mp4(str(src), str(out), copy, info.has_audio, preset), timeout=budget)
    return out


def poster(src: Path, out_dir: Path | None = None, at_s: float | None = None) -> Path:
    """A frame a little into the take: the very first is often the tablet being raised."""
    out = _beside(src, ".poster.jpg", out_dir)
    dur = _duration(src)
    t = min(dur * 0.1, 3.0) if at_s is None else at_s
    run(argv.still_jpeg(str(src), str(out), t, 640), timeout=60.0)
    if not out.exists() or out.stat().st_size == 0:  # seek past the end of a damaged file
        run(argv.still_jpeg(str(src), str(out), 0.0, 640), timeout=60.0)
    return out


def contact_sheet(
    src: Path,
    report: ValidationReport | None = None,
    out_dir: Path | None = None,
    cols: int = 4,
    rows: int = 4,
) -> Path:
    """Grid of frames spread over the take, time-stamped; tiles inside a warned or failed
    check's times get that check's colour and name, so a glance shows where to look."""
    out = _beside(src, ".contact.jpg", out_dir)
    info = probe(str(src))
    packets = read_packets(str(src))
    dur = packets.duration() or info.header_duration or 0.0
    plan = fr.choose_plan(packets.max_keyframe_interval(), info.width, info.height, TILE_SIDE)
    n = cols * rows
    targets = [(k + 0.5) * dur / n for k in range(n)]
    best: list[tuple[float, fr.Sample] | None] = [None] * n
    start = float(packets.pts[0]) if packets.count else 0.0
    for s in fr.sample(str(src), plan, start, timeout=max(60.0, dur * 2)):
        for k, target in enumerate(targets):  # keeps n frames whatever the length
            gap = abs(s.t - target)
            current = best[k]
            if current is None or gap < current[0]:
                best[k] = (gap, fr.Sample(s.t, s.rgb.copy()))
    tiles = [_tile(b[1] if b else None, plan, report, dur / n) for b in best]
    grid = np.vstack([np.hstack(tiles[r * cols : (r + 1) * cols]) for r in range(rows)])
    sheet = np.vstack([_header(report, grid.shape[1], src.name, dur), grid])
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return out


def _marks(report: ValidationReport | None, t: float, half: float) -> list[tuple[str, str]]:
    if report is None:
        return []
    found: list[tuple[str, str]] = []
    for c in report.checks:
        if c.verdict == "pass":
            continue
        if any(a - half <= t <= b + half for a, b in c.times):
            found.append((c.name, c.verdict))
    return found


def _tile(
    s: fr.Sample | None, plan: fr.FramePlan, report: ValidationReport | None, spacing: float
) -> np.ndarray:
    img = np.full((plan.height, plan.width, 3), 32, np.uint8) if s is None else s.rgb.copy()
    if s is None:
        return img
    marks = _marks(report, s.t, spacing / 2)
    if marks:
        worst = "fail" if any(v == "fail" for _, v in marks) else "warn"
        cv2.rectangle(img, (0, 0), (img.shape[1] - 1, img.shape[0] - 1), _COLOURS[worst], 4)
        _label(img, ", ".join(n for n, _ in marks), (6, 16), _COLOURS[worst])
    _label(img, f"{int(s.t // 60):02d}:{s.t % 60:04.1f}", (6, img.shape[0] - 8), (0, 0, 0))
    return img


def _label(img: np.ndarray, text: str, org: tuple[int, int], bg: tuple[int, int, int]) -> None:
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.45
    (w, h), base = cv2.getTextSize(text, font, scale, 1)
    x, y = org
    cv2.rectangle(img, (x - 3, y - h - 3), (x + w + 3, y + base), bg, -1)
    cv2.putText(img, text, (x, y), font, scale, (255, 255, 255), 1, cv2.LINE_AA)


def _header(report: ValidationReport | None, width: int, name: str, dur: float) -> np.ndarray:
    bar = np.full((34, width, 3), 245, np.uint8)
    x = 8
    head = f"{name}  {dur:.1f} s"
    cv2.putText(bar, head, (x, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    x += cv2.getTextSize(head, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)[0][0] + 16
    for c in report.checks if report else ():
        (w, _), _ = cv2.getTextSize(c.name, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        if x + w + 10 > width:
            break
        _label(bar, c.name, (x, 22), _COLOURS[c.verdict])
        x += w + 14
    return bar


def make_all(src: Path, report: ValidationReport | None, out_dir: Path | None = None) -> list[Path]:
    return [faststart_mp4(src, out_dir), poster(src, out_dir), contact_sheet(src, report, out_dir)]
