"""Synthetic X-ray (IDK) images of a rail wagon or a container, for the demo seed and tests.

A line-scan X-ray shows the vehicle from the side: what the beam crosses attenuates it, so
the picture is a transmission map `I = I0 · exp(-Σ μ·t)`: air is bright, steel and dense cargo
dark. We build an attenuation map from parts (body walls seen face-on, end walls, floor and
roof seen edge-on, bogies and wheels, corrugation of a container), add cargo by packaging type,
optionally a hidden dense block and voids, then detector effects (row gain, photon noise,
slight blur). Everything is drawn from one `numpy.random.Generator` seeded by the caller, so the
same spec gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Literal

import msgspec
import numpy as np
from PIL import Image

Packaging = Literal["boxes", "bags", "barrels", "pallets", "bulk", "machinery", "empty"]
Vehicle = Literal["container", "wagon"]
PACKAGINGS: tuple[str, ...] = ("boxes", "bags", "barrels", "pallets", "bulk", "machinery", "empty")

# Attenuation (μ·t summed through the vehicle) of the parts; cargo densities per packaging.
_SIDE_WALLS = 0.35
_EDGE_STEEL = 2.2
_DENSITY: dict[str, float] = {
    "boxes": 0.55, "bags": 0.9, "barrels": 1.2, "pallets": 0.6, "bulk": 1.1, "machinery": 1.6,
    "empty": 0.0,
}
_HIDDEN_BLOCK = 2.8


class Box(msgspec.Struct, frozen=True):
    """A rectangle in image pixels; `kind` says what the generator put there."""

    x: int
    y: int
    w: int
    h: int
    kind: str


class XraySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seed: int
    width: int = 1024
    height: int = 384
    vehicle: Vehicle = "container"
    packaging: Packaging = "boxes"
    fill: float = 0.85  # fraction of the bay's length that is loaded
    hidden_block: bool = False
    voids: int = 0
    bits: Literal[8, 16] = 16
    noise: float = 1.0


class XrayImage(msgspec.Struct, frozen=True):
    png: bytes
    width: int
    height: int
    bay: Box  # the loadable interior
    anomalies: list[Box]  # hidden blocks and voids: the ground truth for models and tests


def _between(rng: np.random.Generator, low: float, high: float) -> float:
    """A uniform draw that tolerates an empty range (tiny images): then it is `low`."""
    return float(rng.uniform(low, high)) if high > low else float(low)


def _rect(a: np.ndarray, x0: float, y0: float, x1: float, y1: float, value: float) -> None:
    h, w = a.shape
    i0, i1 = max(0, round(y0)), min(h, round(y1))
    j0, j1 = max(0, round(x0)), min(w, round(x1))
    if i1 > i0 and j1 > j0:
        a[i0:i1, j0:j1] += value


def _ellipse(
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


def _body(a: np.ndarray, spec: XraySpec, rng: np.random.Generator) -> Box:
    h, w = a.shape
    ground = 0.93 * h
    x0, x1 = 0.04 * w + rng.uniform(0, 0.02 * w), 0.96 * w - rng.uniform(0, 0.02 * w)
    floor = 0.72 * h
    roof = (0.14 if spec.vehicle == "container" else 0.10) * h + rng.uniform(0, 0.02 * h)
    wall = max(2.0, 0.006 * w)
    edge = max(2.0, 0.012 * h)

    # Underframe: a beam under the floor, bogies with two wheels each near the ends.
    _rect(a, x0, floor + edge, x1, floor + 0.06 * h, 1.1)
    r = 0.065 * h
    for bogie in (x0 + 0.14 * (x1 - x0), x1 - 0.14 * (x1 - x0)):
        _rect(a, bogie - 0.06 * w, ground - 2.4 * r, bogie + 0.06 * w, ground - 1.6 * r, 1.6)
        for dx in (-0.035 * w, 0.035 * w):
            _ellipse(a, bogie + dx, ground - r, r, r, 2.4)
            _ellipse(a, bogie + dx, ground - r, 0.3 * r, 0.3 * r, 1.5, soft=False)

    if spec.vehicle == "container":
        # A flat wagon carrying a container: platform deck, then the box with its corrugation
        # (vertical ribs) and dense corner castings.
        _rect(a, x0, floor, x1, floor + edge, _EDGE_STEEL)
        cx0, cx1 = x0 + 0.015 * w, x1 - 0.015 * w
        cfloor = floor - edge
        _rect(a, cx0, roof, cx1, cfloor, _SIDE_WALLS)
        pitch = max(4.0, w / 70)
        x = cx0 + pitch / 2
        while x < cx1 - pitch / 2:
            _rect(a, x, roof, x + pitch / 3, cfloor, 0.12)
            x += pitch
        for yy in (roof, cfloor - edge):
            _rect(a, cx0, yy, cx1, yy + edge, _EDGE_STEEL)
        for xx in (cx0, cx1 - wall):
            _rect(a, xx, roof, xx + wall, cfloor, _EDGE_STEEL)
        for xx in (cx0, cx1 - 2 * wall):
            for yy in (roof, cfloor - 2 * edge):
                _rect(a, xx, yy, xx + 2 * wall, yy + 2 * edge, 1.5)
        return Box(int(cx0 + wall), int(roof + edge), int(cx1 - cx0 - 2 * wall),
                   int(cfloor - edge - roof - edge), "bay")

    # A covered wagon: side walls face-on with posts, end walls, floor and roof edge-on.
    _rect(a, x0, roof, x1, floor, _SIDE_WALLS)
    for yy in (roof, floor):
        _rect(a, x0, yy, x1, yy + edge, _EDGE_STEEL)
    for xx in (x0, x1 - wall):
        _rect(a, xx, roof, xx + wall, floor + edge, _EDGE_STEEL)
    posts = int(rng.integers(6, 10))
    for k in range(1, posts):
        xx = x0 + k * (x1 - x0) / posts
        _rect(a, xx, roof, xx + wall * 0.8, floor, 0.5)
    return Box(int(x0 + wall), int(roof + edge), int(x1 - x0 - 2 * wall), int(floor - roof - edge),
               "bay")


def _cargo(spec: XraySpec, bay: Box, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    c = np.zeros(shape, np.float32)
    if spec.packaging == "empty":
        return c
    rho = _DENSITY[spec.packaging]
    left, bottom = float(bay.x + 2), float(bay.y + bay.h)
    length = max(1.0, bay.w * min(max(spec.fill, 0.0), 1.0) - 4)
    right = left + length
    h, w = shape

    if spec.packaging in ("boxes", "pallets"):
        bw = rng.uniform(0.04, 0.07) * w
        bh = rng.uniform(0.10, 0.14) * h
        base = bottom
        if spec.packaging == "pallets":
            slat = 0.025 * h
            x = left
            while x + bw <= right + 1:
                # slats with gaps between them; goods stacked on top
                for k in range(4):
                    _rect(c, x + k * bw / 4, base - slat, x + k * bw / 4 + bw / 8, base, 0.8)
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
                _rect(c, x + 1, y0, x + bw - 1, y1, dens)
                # cardboard walls seen edge-on are a little denser than the goods inside
                _rect(c, x + 1, y0, x + 3, y1, 0.15)
                _rect(c, x + bw - 3, y0, x + bw - 1, y1, 0.15)
                for _ in range(int(rng.integers(2, 6))):
                    _ellipse(c, _between(rng, x + 3, x + bw - 3), _between(rng, y0 + 3, y1 - 3),
                             _between(rng, 2, bw / 5), _between(rng, 2, bh / 5), dens * 0.4)
            x += bw + _between(rng, 1, 4)
    elif spec.packaging == "bags":
        rx = rng.uniform(0.025, 0.035) * w
        ry = rng.uniform(0.035, 0.05) * h
        row, y = 0, bottom - ry
        top = bay.y + bay.h * rng.uniform(0.05, 0.3)
        while y - ry > top:
            x = left + rx + (rx if row % 2 else 0)
            while x + rx <= right:
                _ellipse(c, x + rng.normal(0, 1), y, rx * 1.05, ry, rho * rng.uniform(0.8, 1.2))
                x += 2 * rx
            y -= 1.6 * ry
            row += 1
    elif spec.packaging == "barrels":
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
                    _rect(c, x - r, yy, x + r, yy + 2, 0.6)  # rims and rolling hoops
            x += 2 * r + 2
    elif spec.packaging == "bulk":
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
        grain = rng.normal(1.0, 0.08, size=shape).astype(np.float32)
        c += heap * rho * grain
    elif spec.packaging == "machinery":
        x = left
        while x < right - 0.05 * w:
            mw = rng.uniform(0.08, 0.18) * w
            mh = rng.uniform(0.25, 0.6) * bay.h
            _rect(c, x, bottom - mh, min(x + mw, right), bottom, rho * 0.5)
            for _ in range(int(rng.integers(3, 8))):
                _ellipse(c, _between(rng, x, min(x + mw, right)), _between(rng, bottom - mh, bottom),
                         _between(rng, 3, mw / 4), _between(rng, 3, mh / 4), rho, soft=False)
            x += mw + _between(rng, 4, 0.03 * w)
    return c


def _anomalies(
    spec: XraySpec, bay: Box, cargo: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list[Box]]:
    extra = np.zeros_like(cargo)
    boxes: list[Box] = []
    h, w = cargo.shape
    loaded = int(bay.w * min(max(spec.fill, 0.0), 1.0))
    voids = 0 if spec.packaging == "empty" else max(0, spec.voids)  # nothing to be missing
    for _ in range(voids):
        vw, vh = max(2, int(rng.uniform(0.03, 0.06) * w)), max(2, int(rng.uniform(0.08, 0.15) * h))
        vx = int(_between(rng, bay.x, bay.x + loaded - vw))
        vy = int(_between(rng, bay.y + bay.h * 0.4, bay.y + bay.h - vh))
        # a void is goods missing from the stack: cargo attenuation removed there
        cargo[vy : vy + vh, vx : vx + vw] = 0.0
        boxes.append(Box(vx, vy, vw, vh, "void"))
    if spec.hidden_block:
        bw, bh = max(2, int(rng.uniform(0.03, 0.05) * w)), max(2, int(rng.uniform(0.06, 0.1) * h))
        bx = int(_between(rng, bay.x + 4, bay.x + loaded - bw - 4))
        by = int(_between(rng, bay.y + bay.h * 0.45, bay.y + bay.h - bh - 4))
        _rect(extra, bx, by, bx + bw, by + bh, _HIDDEN_BLOCK)
        boxes.append(Box(bx, by, bw, bh, "dense_block"))
    return extra, boxes


def _blur(a: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur: the detector's point spread, cheap and deterministic."""
    p = np.pad(a, 1, mode="edge")
    v = (p[:-2, :] + 2 * p[1:-1, :] + p[2:, :]) / 4
    return (v[:, :-2] + 2 * v[:, 1:-1] + v[:, 2:]) / 4


def render(spec: XraySpec) -> tuple[np.ndarray, Box, list[Box]]:
    """The transmission image as floats in 0..1, the bay, and the anomalies placed."""
    if spec.width < 64 or spec.height < 32:
        raise ValueError("an X-ray image needs at least 64x32 pixels")
    rng = np.random.default_rng(spec.seed)
    atten = np.zeros((spec.height, spec.width), np.float32)
    bay = _body(atten, spec, rng)
    cargo = _cargo(spec, bay, rng, atten.shape)
    extra, anomalies = _anomalies(spec, bay, cargo, rng)
    atten += np.clip(cargo, 0, None) + extra
    trans = np.exp(-atten)
    # Detector rows differ a little in gain (line-scan streaks), photons are noisy.
    gain = 1.0 + rng.normal(0, 0.01 * spec.noise, size=(spec.height, 1)).astype(np.float32)
    trans = trans * gain
    trans = trans + rng.normal(0, 1, size=trans.shape).astype(np.float32) * (
        0.012 * spec.noise * np.sqrt(np.clip(trans, 1e-4, None))
    )
    return np.clip(_blur(trans), 0.0, 1.0), bay, anomalies


def to_png(trans: np.ndarray, bits: int = 16) -> bytes:
    if bits == 16:
        pixels = np.round(trans * 60000).astype(np.uint16)
        im = Image.fromarray(pixels)  # mode I;16
    else:
        im = Image.fromarray(np.round(trans * 235).astype(np.uint8), mode="L")
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=6)
    return out.getvalue()


def generate(spec: XraySpec) -> XrayImage:
    trans, bay, anomalies = render(spec)
    return XrayImage(
        png=to_png(trans, spec.bits), width=spec.width, height=spec.height, bay=bay,
        anomalies=anomalies,
    )


def xray_png(
    seed: int,
    *,
    width: int = 1024,
    height: int = 384,
    vehicle: Vehicle = "container",
    packaging: Packaging = "boxes",
    hidden_block: bool = False,
    voids: int = 0,
    bits: Literal[8, 16] = 16,
) -> bytes:
    """PNG bytes of a synthetic X-ray; the same arguments always give the same bytes."""
    return generate(
        XraySpec(seed=seed, width=width, height=height, vehicle=vehicle, packaging=packaging,
                 hidden_block=hidden_block, voids=voids, bits=bits)
    ).png
