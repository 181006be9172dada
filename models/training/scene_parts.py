"""Drawing primitives for the synthetic inspection scenes: cargo places, people, textures.

Everything draws into a uint8 RGB image in place. Coordinates are float pixels; OpenCV's
fixed-point `shift` keeps sub-pixel positions so small objects do not snap to the grid when a
scene is rendered at 160 px wide.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Color = tuple[float, float, float]
Point = tuple[float, float]

SHIFT = 4
_ONE = 1 << SHIFT

CARGO_KINDS = ("box", "sack", "pallet", "drum")
CARGO_COLORS: dict[str, list[Color]] = {
    "box": [(176, 134, 88), (196, 160, 112), (150, 110, 70), (214, 194, 152), (120, 150, 190),
            (205, 205, 200), (160, 60, 50)],
    "sack": [(225, 220, 200), (200, 190, 160), (90, 120, 70), (235, 235, 235), (170, 150, 110),
             (80, 110, 160)],
    "pallet": [(205, 205, 210), (90, 140, 200), (220, 80, 60), (240, 240, 228), (60, 60, 64),
               (230, 200, 70)],
    "drum": [(40, 70, 160), (35, 35, 38), (170, 40, 35), (60, 120, 60), (200, 200, 200),
             (230, 160, 40)],
}
VEST_COLORS: list[Color] = [(250, 120, 20), (230, 240, 40), (40, 80, 160), (30, 110, 60),
                            (200, 200, 200)]


def _pts(points: Sequence[Point] | np.ndarray) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return np.round(arr * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _ip(p: Point) -> tuple[int, int]:
    return round(p[0] * _ONE), round(p[1] * _ONE)


def shade(color: Color, f: float) -> Color:
    return (min(255.0, color[0] * f), min(255.0, color[1] * f), min(255.0, color[2] * f))


def jitter_color(color: Color, rng: np.random.Generator, amount: float = 0.12) -> Color:
    g = rng.uniform(1 - amount, 1 + amount, 3) * rng.uniform(1 - amount, 1 + amount)
    return (min(255.0, color[0] * g[0]), min(255.0, color[1] * g[1]), min(255.0, color[2] * g[2]))


def fill_poly(img: np.ndarray, points: Sequence[Point] | np.ndarray, color: Color) -> None:
    cv2.fillPoly(img, [_pts(points)], color, lineType=cv2.LINE_AA, shift=SHIFT)


def outline(img: np.ndarray, points: Sequence[Point] | np.ndarray, color: Color,
            thickness: float = 1.0) -> None:
    cv2.polylines(img, [_pts(points)], True, color, max(1, round(thickness)), cv2.LINE_AA, SHIFT)


def line(img: np.ndarray, p: Point, q: Point, color: Color, thickness: float = 1.0) -> None:
    cv2.line(img, _ip(p), _ip(q), color, max(1, round(thickness)), cv2.LINE_AA, SHIFT)


def ellipse(img: np.ndarray, center: Point, axes: Point, color: Color,
            thickness: float = -1, angle: float = 0.0) -> None:
    ax = (max(1, round(axes[0] * _ONE)), max(1, round(axes[1] * _ONE)))
    t = -1 if thickness < 0 else max(1, round(thickness))
    cv2.ellipse(img, _ip(center), ax, angle, 0, 360, color, t, cv2.LINE_AA, SHIFT)


def rect(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, color: Color) -> None:
    fill_poly(img, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color)


def add_texture(img: np.ndarray, rng: np.random.Generator, y0: int, y1: int, x0: int, x1: int,
                strength: float, grain: int = 8) -> None:
    """Low-frequency blotches so flat areas look like asphalt, plywood or dirty steel."""
    h, w = y1 - y0, x1 - x0
    if h <= 0 or w <= 0 or strength <= 0:
        return
    small = rng.normal(0, strength, (max(2, h // grain), max(2, w // grain))).astype(np.float32)
    tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    region = img[y0:y1, x0:x1].astype(np.float32) + tex[:, :, None]
    img[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)


def draw_item_face(img: np.ndarray, kind: str, x0: float, y0: float, x1: float, y1: float,
                   color: Color, rng: np.random.Generator) -> None:
    """The front face of one cargo place inside a stacked load (no top face: it is occluded)."""
    w, h = x1 - x0, y1 - y0
    lw = max(1.0, min(w, h) * 0.06)
    if kind == "box":
        rect(img, x0, y0, x1, y1, color)
        if rng.random() < 0.7:
            rect(img, x0 + w * 0.44, y0, x0 + w * 0.56, y1, shade(color, 1.15))
        if rng.random() < 0.4:
            rect(img, x0 + w * 0.1, y0 + h * 0.55, x0 + w * 0.35, y0 + h * 0.8, (235, 235, 230))
        outline(img, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], shade(color, 0.55), lw)
    elif kind == "sack":
        ellipse(img, ((x0 + x1) / 2, (y0 + y1) / 2), (w * 0.5, h * 0.5), color)
        ellipse(img, ((x0 + x1) / 2, (y0 + y1) / 2), (w * 0.5, h * 0.5), shade(color, 0.6), lw)
        line(img, (x0 + w * 0.15, y0 + h * 0.3), (x1 - w * 0.15, y0 + h * 0.3),
             shade(color, 0.75), lw)
    elif kind == "pallet":
        slat = y1 - h * 0.16
        rect(img, x0, slat, x1, y1, (150, 112, 64))
        for fx in (0.0, 0.45, 0.88):
            rect(img, x0 + w * fx, slat + h * 0.04, x0 + w * (fx + 0.12), y1, (60, 45, 30))
        rect(img, x0 + w * 0.03, y0, x1 - w * 0.03, slat, color)
        for fy in (0.25, 0.55):
            line(img, (x0 + w * 0.05, y0 + h * fy), (x1 - w * 0.05, y0 + h * (fy + 0.1)),
                 shade(color, 1.3), lw)
        outline(img, [(x0 + w * 0.03, y0), (x1 - w * 0.03, y0), (x1 - w * 0.03, slat),
                      (x0 + w * 0.03, slat)], shade(color, 0.6), lw)
    else:  # drum
        strips = (0.7, 0.95, 1.15, 0.85, 0.6)
        for i, f in enumerate(strips):
            rect(img, x0 + w * i / 5, y0 + h * 0.06, x0 + w * (i + 1) / 5, y1, shade(color, f))
        ellipse(img, ((x0 + x1) / 2, y0 + h * 0.06), (w * 0.5, h * 0.06), shade(color, 1.25))
        for fy in (0.35, 0.7):
            line(img, (x0, y0 + h * fy), (x1, y0 + h * fy), shade(color, 0.5), lw)


def draw_place(img: np.ndarray, kind: str, cx: float, base_y: float, w: float, h: float,
               color: Color, skew: float, ground: Color, rng: np.random.Generator) -> Point:
    """A free-standing cargo place on the ground; returns its visual centre."""
    ellipse(img, (cx + skew * 0.3, base_y), (w * 0.62, h * 0.14), shade(ground, 0.55))
    if kind == "sack":
        ellipse(img, (cx, base_y - h * 0.38), (w * 0.5, h * 0.38), color)
        ellipse(img, (cx, base_y - h * 0.38), (w * 0.5, h * 0.38), shade(color, 0.6),
                max(1.0, w * 0.05))
        ellipse(img, (cx, base_y - h * 0.74), (w * 0.12, h * 0.08), shade(color, 0.8))
        return cx, base_y - h * 0.4
    if kind == "drum":
        top = base_y - h
        draw_item_face(img, "drum", cx - w / 2, top + h * 0.1, cx + w / 2, base_y, color, rng)
        ellipse(img, (cx, top + h * 0.12), (w * 0.5, h * 0.12), shade(color, 1.3))
        ellipse(img, (cx, top + h * 0.12), (w * 0.18, h * 0.04), shade(color, 0.5))
        return cx, base_y - h * 0.5
    # boxes and pallets: a front face plus a top face leaning towards the vanishing point
    face_top = base_y - h * 0.72
    depth = h * 0.28
    lid = [(cx - w / 2, face_top), (cx + w / 2, face_top),
           (cx + w / 2 + skew, face_top - depth), (cx - w / 2 + skew, face_top - depth)]
    fill_poly(img, lid, shade(color, 1.22))
    outline(img, lid, shade(color, 0.6), max(1.0, w * 0.04))
    draw_item_face(img, kind, cx - w / 2, face_top, cx + w / 2, base_y, color, rng)
    return cx + skew * 0.3, base_y - h * 0.45


def draw_person(img: np.ndarray, fx: float, fy: float, height: float, vest: Color,
                trousers: Color, skin: Color, carrying: Color | None, phase: float) -> None:
    """A stick-and-block figure: enough to teach the models that people are not cargo."""
    h = height
    hip_y, shoulder_y = fy - 0.47 * h, fy - 0.82 * h
    leg_w = max(1.0, 0.07 * h)
    swing = np.sin(phase) * 0.09 * h
    line(img, (fx - 0.05 * h, hip_y), (fx - 0.05 * h + swing, fy), trousers, leg_w)
    line(img, (fx + 0.05 * h, hip_y), (fx + 0.05 * h - swing, fy), trousers, leg_w)
    rect(img, fx - 0.12 * h, shoulder_y, fx + 0.12 * h, hip_y + 0.03 * h, vest)
    rect(img, fx - 0.12 * h, shoulder_y + 0.2 * h, fx + 0.12 * h, shoulder_y + 0.24 * h,
         (225, 225, 215))
    ellipse(img, (fx, shoulder_y - 0.09 * h), (0.065 * h, 0.075 * h), skin)
    ellipse(img, (fx, shoulder_y - 0.14 * h), (0.07 * h, 0.035 * h), vest)
    arm_w = max(1.0, 0.05 * h)
    if carrying is None:
        line(img, (fx - 0.12 * h, shoulder_y + 0.02 * h), (fx - 0.15 * h - swing * 0.5, hip_y),
             vest, arm_w)
        line(img, (fx + 0.12 * h, shoulder_y + 0.02 * h), (fx + 0.15 * h + swing * 0.5, hip_y),
             vest, arm_w)
        return
    bx0, by0 = fx - 0.17 * h, shoulder_y + 0.08 * h
    rect(img, bx0, by0, bx0 + 0.34 * h, by0 + 0.24 * h, carrying)
    outline(img, [(bx0, by0), (bx0 + 0.34 * h, by0), (bx0 + 0.34 * h, by0 + 0.24 * h),
                  (bx0, by0 + 0.24 * h)], shade(carrying, 0.55), max(1.0, 0.02 * h))
    line(img, (fx - 0.12 * h, shoulder_y + 0.02 * h), (bx0 + 0.02 * h, by0 + 0.14 * h), vest,
         arm_w)
    line(img, (fx + 0.12 * h, shoulder_y + 0.02 * h), (bx0 + 0.32 * h, by0 + 0.14 * h), vest,
         arm_w)
