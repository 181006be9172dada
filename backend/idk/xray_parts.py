"""Drawing primitives and the vehicle's own structure for the synthetic X-ray generator.

Everything adds attenuation (μ·t) to a float32 map; `backend.idk.xray` turns the sum into a
transmission image. Draws come from the caller's `numpy.random.Generator` in a fixed order, so
a spec renders the same bytes every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from backend.idk.xray import Box, XraySpec

# Attenuation of the parts seen through the whole vehicle.
SIDE_WALLS = 0.35
EDGE_STEEL = 2.2


def between(rng: np.random.Generator, low: float, high: float) -> float:
    """A uniform draw that tolerates an empty range (tiny images): then it is `low`."""
    return float(rng.uniform(low, high)) if high > low else float(low)


def rect(a: np.ndarray, x0: float, y0: float, x1: float, y1: float, value: float) -> None:
    h, w = a.shape
    i0, i1 = max(0, round(y0)), min(h, round(y1))
    j0, j1 = max(0, round(x0)), min(w, round(x1))
    if i1 > i0 and j1 > j0:
        a[i0:i1, j0:j1] += value


def ellipse(
    a: np.ndarray, cx: float, cy: float, rx: float, ry: float, value: float, soft: bool = True
) -> None:
    h, w = a.shape
    i0, i1 = max(0, int(cy - ry)), min(h, int(cy + ry) + 1)
    j0, j1 = max(0, int(cx - rx)), min(w, int(cx + rx) + 1)
    if i1 <= i0 or j1 <= j0:
        return
    yy, xx = np.mgrid[i0:i1, j0:j1].astype(np.float32)
    d = ((xx - cx) / max(rx, 1e-3)) ** 2 + ((yy - cy) / max(ry, 1e-3)) ** 2
    inside = np.clip(1.0 - d, 0.0, 1.0)
    # A soft profile approximates the chord length through a rounded object.
    a[i0:i1, j0:j1] += value * (np.sqrt(inside) if soft else (d <= 1.0))


def blur(a: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur: the detector's point spread, cheap and deterministic."""
    p = np.pad(a, 1, mode="edge")
    v = (p[:-2, :] + 2 * p[1:-1, :] + p[2:, :]) / 4
    return (v[:, :-2] + 2 * v[:, 1:-1] + v[:, 2:]) / 4


def body(a: np.ndarray, spec: XraySpec, rng: np.random.Generator) -> Box:
    """Draw the vehicle (underframe, bogies, walls) and return its loadable interior."""
    from backend.idk.xray import Box

    h, w = a.shape
    ground = 0.93 * h
    x0, x1 = 0.04 * w + rng.uniform(0, 0.02 * w), 0.96 * w - rng.uniform(0, 0.02 * w)
    floor = 0.72 * h
    roof = (0.14 if spec.vehicle == "container" else 0.10) * h + rng.uniform(0, 0.02 * h)
    wall = max(2.0, 0.006 * w)
    edge = max(2.0, 0.012 * h)

    # Underframe: a beam under the floor, bogies with two wheels each near the ends.
    rect(a, x0, floor + edge, x1, floor + 0.06 * h, 1.1)
    r = 0.065 * h
    for bogie in (x0 + 0.14 * (x1 - x0), x1 - 0.14 * (x1 - x0)):
        rect(a, bogie - 0.06 * w, ground - 2.4 * r, bogie + 0.06 * w, ground - 1.6 * r, 1.6)
        for dx in (-0.035 * w, 0.035 * w):
            ellipse(a, bogie + dx, ground - r, r, r, 2.4)
            ellipse(a, bogie + dx, ground - r, 0.3 * r, 0.3 * r, 1.5, soft=False)

    if spec.vehicle == "container":
        # A flat wagon carrying a container: platform deck, then the box with its corrugation
        # (vertical ribs) and dense corner castings.
        rect(a, x0, floor, x1, floor + edge, EDGE_STEEL)
        cx0, cx1 = x0 + 0.015 * w, x1 - 0.015 * w
        cfloor = floor - edge
        rect(a, cx0, roof, cx1, cfloor, SIDE_WALLS)
        pitch = max(4.0, w / 70)
        x = cx0 + pitch / 2
        while x < cx1 - pitch / 2:
            rect(a, x, roof, x + pitch / 3, cfloor, 0.12)
            x += pitch
        for yy in (roof, cfloor - edge):
            rect(a, cx0, yy, cx1, yy + edge, EDGE_STEEL)
        for xx in (cx0, cx1 - wall):
            rect(a, xx, roof, xx + wall, cfloor, EDGE_STEEL)
        for xx in (cx0, cx1 - 2 * wall):
            for yy in (roof, cfloor - 2 * edge):
                rect(a, xx, yy, xx + 2 * wall, yy + 2 * edge, 1.5)
        return Box(int(cx0 + wall), int(roof + edge), int(cx1 - cx0 - 2 * wall),
                   int(cfloor - edge - roof - edge), "bay")

    # A covered wagon: side walls face-on with posts, end walls, floor and roof edge-on.
    rect(a, x0, roof, x1, floor, SIDE_WALLS)
    for yy in (roof, floor):
        rect(a, x0, yy, x1, yy + edge, EDGE_STEEL)
    for xx in (x0, x1 - wall):
        rect(a, xx, roof, xx + wall, floor + edge, EDGE_STEEL)
    posts = int(rng.integers(6, 10))
    for k in range(1, posts):
        xx = x0 + k * (x1 - x0) / posts
        rect(a, xx, roof, xx + wall * 0.8, floor, 0.5)
    return Box(int(x0 + wall), int(roof + edge), int(x1 - x0 - 2 * wall), int(floor - roof - edge),
               "bay")
