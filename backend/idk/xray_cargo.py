"""Cargo and concealments for the synthetic X-ray generator.

Cargo attenuation per packaging (times the goods' density factor of the spec), then what a
scan should reveal: voids (goods missing from a stack), a hidden dense block (metal, or a
compact dense package), organic masses (an amorphous, medium-density lump that crosses the
outlines of the declared packaging). Each concealment is returned as a `Box` with its
contrast: the attenuation it adds or removes on average, 0 when it is invisible (a void cut
where there was no cargo anyway), so models are never taught to see what is not there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from backend.idk.xray_parts import between, ellipse, rect

if TYPE_CHECKING:
    from backend.idk.xray import Box, XraySpec

DENSITY: dict[str, float] = {
    "boxes": 0.55, "bags": 0.9, "barrels": 1.2, "pallets": 0.6, "bulk": 1.1, "machinery": 1.6,
    "empty": 0.0,
}
HIDDEN_BLOCK = 2.8


def _boxes(c: np.ndarray, spec: XraySpec, bay: Box, rng: np.random.Generator, rho: float,
           left: float, right: float, bottom: float) -> None:
    h, w = c.shape
    bw = rng.uniform(0.04, 0.07) * w
    bh = rng.uniform(0.10, 0.14) * h
    base = bottom
    if spec.packaging == "pallets":
        slat = 0.025 * h
        x = left
        while x + bw <= right + 1:
            # slats with gaps between them; goods stacked on top
            for k in range(4):
                rect(c, x + k * bw / 4, base - slat, x + k * bw / 4 + bw / 8, base, 0.8)
            x += bw + 3
        base = bottom - slat
    x = left
    while x + bw <= right + 1:
        tiers = int(rng.integers(2, max(3, int((base - bay.y) / bh) + 1)))
        for t in range(tiers):
            y1 = base - t * bh
            y0 = y1 - bh + 2
            if y0 < bay.y + 2:
                break
            dens = rho * rng.uniform(0.7, 1.3)
            rect(c, x + 1, y0, x + bw - 1, y1, dens)
            # cardboard walls seen edge-on are a little denser than the goods inside
            rect(c, x + 1, y0, x + 3, y1, 0.15)
            rect(c, x + bw - 3, y0, x + bw - 1, y1, 0.15)
            for _ in range(int(rng.integers(2, 6))):
                ellipse(c, between(rng, x + 3, x + bw - 3), between(rng, y0 + 3, y1 - 3),
                        between(rng, 2, bw / 5), between(rng, 2, bh / 5), dens * 0.4)
        x += bw + between(rng, 1, 4)


def _bags(c: np.ndarray, bay: Box, rng: np.random.Generator, rho: float, left: float,
          right: float, bottom: float) -> None:
    h, w = c.shape
    rx = rng.uniform(0.025, 0.035) * w
    ry = rng.uniform(0.035, 0.05) * h
    row, y = 0, bottom - ry
    top = bay.y + bay.h * rng.uniform(0.05, 0.3)
    while y - ry > top:
        x = left + rx + (rx if row % 2 else 0)
        while x + rx <= right:
            ellipse(c, x + rng.normal(0, 1), y, rx * 1.05, ry, rho * rng.uniform(0.8, 1.2))
            x += 2 * rx
        y -= 1.6 * ry
        row += 1


def _barrels(c: np.ndarray, bay: Box, rng: np.random.Generator, rho: float, left: float,
             right: float, bottom: float) -> None:
    h, w = c.shape
    r = rng.uniform(0.022, 0.03) * w
    bh = rng.uniform(0.22, 0.3) * h
    tiers = max(1, min(2, int(bay.h / bh)))
    x = left + r
    while x + r <= right:
        j0, j1 = max(0, int(x - r)), min(w, int(x + r) + 1)
        # side view of an upright drum: the beam crosses a chord of the circle
        u = (np.arange(j0, j1, dtype=np.float32) - x) / r
        chord = np.sqrt(np.clip(1.0 - u * u, 0.0, 1.0))
        for t in range(tiers):
            y1 = bottom - t * bh
            y0 = y1 - bh + 3
            dens = rho * rng.uniform(0.85, 1.15)
            c[int(y0) : int(y1), j0:j1] += dens * chord[None, :]
            for yy in (y0, (y0 + y1) / 2, y1 - 3):
                rect(c, x - r, yy, x + r, yy + 2, 0.6)  # rims and rolling hoops
        x += 2 * r + 2


def _bulk(c: np.ndarray, bay: Box, rng: np.random.Generator, rho: float, left: float,
          right: float, bottom: float) -> None:
    h, w = c.shape
    xs = np.arange(w, dtype=np.float32)
    level = np.full(w, bottom - 0.55 * bay.h, np.float32)
    for _ in range(4):
        level += rng.uniform(0.02, 0.06) * bay.h * np.sin(
            xs / w * rng.uniform(2, 9) + rng.uniform(0, 6.3)
        )
    ys = np.arange(h, dtype=np.float32)[:, None]
    heap = (ys >= level[None, :]) & (ys < bottom)
    heap[:, : int(left)] = False
    heap[:, int(right):] = False
    grain = rng.normal(1.0, 0.08, size=c.shape).astype(np.float32)
    c += heap * rho * grain


def _machinery(c: np.ndarray, bay: Box, rng: np.random.Generator, rho: float, left: float,
               right: float, bottom: float) -> None:
    w = c.shape[1]
    x = left
    while x < right - 0.05 * w:
        mw = rng.uniform(0.08, 0.18) * w
        mh = rng.uniform(0.25, 0.6) * bay.h
        rect(c, x, bottom - mh, min(x + mw, right), bottom, rho * 0.5)
        for _ in range(int(rng.integers(3, 8))):
            ellipse(c, between(rng, x, min(x + mw, right)), between(rng, bottom - mh, bottom),
                    between(rng, 3, mw / 4), between(rng, 3, mh / 4), rho, soft=False)
        x += mw + between(rng, 4, 0.03 * w)


def cargo(spec: XraySpec, bay: Box, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """The load's attenuation map (packaging density times the spec's goods density)."""
    c = np.zeros(shape, np.float32)
    if spec.packaging == "empty":
        return c
    rho = DENSITY[spec.packaging] * spec.density
    left, bottom = float(bay.x + 2), float(bay.y + bay.h)
    length = max(1.0, bay.w * min(max(spec.fill, 0.0), 1.0) - 4)
    right = left + length
    if spec.packaging in ("boxes", "pallets"):
        _boxes(c, spec, bay, rng, rho, left, right, bottom)
    elif spec.packaging == "bags":
        _bags(c, bay, rng, rho, left, right, bottom)
    elif spec.packaging == "barrels":
        _barrels(c, bay, rng, rho, left, right, bottom)
    elif spec.packaging == "bulk":
        _bulk(c, bay, rng, rho, left, right, bottom)
    elif spec.packaging == "machinery":
        _machinery(c, bay, rng, rho, left, right, bottom)
    return c


def _organic(extra: np.ndarray, bx: int, by: int, bw: int, bh: int,
             rng: np.random.Generator) -> tuple[int, int, int, int]:
    """An amorphous lump: overlapping soft ellipses with a smooth, grainless texture."""
    blob = np.zeros((bh, bw), np.float32)
    for _ in range(int(rng.integers(3, 6))):
        ellipse(blob, rng.uniform(0.3, 0.7) * bw, rng.uniform(0.3, 0.7) * bh,
                rng.uniform(0.2, 0.5) * bw, rng.uniform(0.2, 0.5) * bh, 1.0)
    blob = np.clip(blob, 0.0, 1.0) * float(rng.uniform(0.9, 1.4))
    extra[by : by + bh, bx : bx + bw] += blob
    rows, cols = np.nonzero(blob > 0.1 * float(blob.max() or 1.0))
    if rows.size == 0:
        return bx, by, 1, 1
    return (bx + int(cols.min()), by + int(rows.min()), int(cols.max() - cols.min()) + 1,
            int(rows.max() - rows.min()) + 1)


def anomalies(
    spec: XraySpec, bay: Box, load: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list[Box]]:
    """Cut voids into `load` (in place) and return the added concealments with every box."""
    from backend.idk.xray import Box

    extra = np.zeros_like(load)
    boxes: list[Box] = []
    h, w = load.shape
    loaded = int(bay.w * min(max(spec.fill, 0.0), 1.0))
    voids = 0 if spec.packaging == "empty" else max(0, spec.voids)  # nothing to be missing
    for _ in range(voids):
        vw, vh = max(2, int(rng.uniform(0.03, 0.06) * w)), max(2, int(rng.uniform(0.08, 0.15) * h))
        vx = int(between(rng, bay.x, bay.x + loaded - vw))
        vy = int(between(rng, bay.y + bay.h * 0.4, bay.y + bay.h - vh))
        # a void is goods missing from the stack: cargo attenuation removed there
        removed = float(load[vy : vy + vh, vx : vx + vw].mean()) if vw and vh else 0.0
        load[vy : vy + vh, vx : vx + vw] = 0.0
        boxes.append(Box(vx, vy, vw, vh, "void", round(removed, 3)))
    if spec.hidden_block:
        bw, bh = max(2, int(rng.uniform(0.03, 0.05) * w)), max(2, int(rng.uniform(0.06, 0.1) * h))
        bx = int(between(rng, bay.x + 4, bay.x + loaded - bw - 4))
        by = int(between(rng, bay.y + bay.h * 0.45, bay.y + bay.h - bh - 4))
        rect(extra, bx, by, bx + bw, by + bh, HIDDEN_BLOCK)
        boxes.append(Box(bx, by, bw, bh, "dense_block", HIDDEN_BLOCK))
    for _ in range(max(0, spec.organic)):
        bw, bh = max(4, int(rng.uniform(0.04, 0.08) * w)), max(4, int(rng.uniform(0.12, 0.2) * h))
        bx = int(between(rng, bay.x + 4, bay.x + max(loaded, bw + 8) - bw - 4))
        by = int(between(rng, bay.y + bay.h * 0.35, bay.y + bay.h - bh - 2))
        bw, bh = min(bw, w - bx), min(bh, h - by)
        before = float(extra.sum())
        x, y, ow, oh = _organic(extra, bx, by, bw, bh, rng)
        added = (float(extra.sum()) - before) / max(1, ow * oh)
        boxes.append(Box(x, y, ow, oh, "organic_mass", round(added, 3)))
    return extra, boxes
