"""Pictures for the IDK conclusion: an overview of the scan with its areas drawn, and a crop of
each risk area, as 8-bit PNG bytes. Blocking (OpenCV): call from a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from backend.idk.images import open_scan, reduce_pixels

OVERVIEW_WIDTH = 1400
CROP_MAX = 560
CROP_MIN = 240
RISK_BGR = (40, 40, 220)  # the operator's areas: red
MODEL_BGR = (200, 120, 0)  # the model's regions: blue


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Pictures:
    overview: bytes
    crops: list[bytes]  # one per risk area, in order


class Display:
    """Detector values -> 8-bit grey for people: air white, dense black, a little contrast
    stretch (percentiles of the reduced image) so cargo is readable at any bit depth."""

    def __init__(self, sample: np.ndarray) -> None:
        lo, hi = (float(v) for v in np.percentile(sample, (0.5, 99.5)))
        self.lo, self.span = lo, (hi - lo) if hi > lo else 1.0

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        out = (pixels.astype(np.float32) - self.lo) / self.span
        return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def _png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return bytes(buf)


def _overview(small: np.ndarray, scale: float, areas: list[Rect], regions: list[Rect]) -> bytes:
    """`small` is the image reduced by 1/scale; rectangles are in original pixels."""
    canvas = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    for rects, colour in ((regions, MODEL_BGR), (areas, RISK_BGR)):
        for i, r in enumerate(rects):
            p0 = (int(r.x * scale), int(r.y * scale))
            p1 = (int((r.x + r.w) * scale), int((r.y + r.h) * scale))
            cv2.rectangle(canvas, p0, p1, colour, 2)
            if colour == RISK_BGR:
                cv2.putText(canvas, str(i + 1), (p0[0] + 3, max(12, p0[1] - 4)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    return _png(canvas)


def _crop(im: Image.Image, show: Display, r: Rect) -> bytes:
    w, h = im.size
    margin_x, margin_y = max(16, r.w // 3), max(16, r.h // 3)
    x0, y0 = max(0, r.x - margin_x), max(0, r.y - margin_y)
    x1, y1 = min(w, r.x + r.w + margin_x), min(h, r.y + r.h + margin_y)
    piece = cv2.cvtColor(show(np.asarray(im.crop((x0, y0, x1, y1)))), cv2.COLOR_GRAY2BGR)
    scale = min(1.0, CROP_MAX / max(piece.shape[:2]))
    if scale < 1.0:
        piece = cv2.resize(piece, (max(1, round(piece.shape[1] * scale)),
                                   max(1, round(piece.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
    elif max(piece.shape[:2]) < CROP_MIN:  # a small area, enlarged pixel for pixel
        scale = float(-(-CROP_MIN // max(piece.shape[:2])))
        piece = cv2.resize(piece, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    p0 = (int((r.x - x0) * scale), int((r.y - y0) * scale))
    p1 = (int((r.x + r.w - x0) * scale), int((r.y + r.h - y0) * scale))
    cv2.rectangle(piece, p0, p1, RISK_BGR, 2)
    return _png(piece)


def pictures(path: Path, areas: list[Rect], regions: list[Rect]) -> Pictures:
    """One decode of the stored image (the decoder's copy is the only full one)."""
    with open_scan(path) as im:
        w = im.size[0]
        factor = max(1, -(-w // OVERVIEW_WIDTH))
        reduced = reduce_pixels(im, factor)
        show = Display(reduced)
        overview = _overview(show(reduced), reduced.shape[1] / w, areas, regions)
        crops = [_crop(im, show, r) for r in areas]
    return Pictures(overview, crops)
