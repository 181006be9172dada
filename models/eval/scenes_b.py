"""A second, independent scene generator, for evaluation only.

Nothing here is shared with `models/training/` (no import either way, and the trainers never
import this package), so a model scoring well on both has learnt something about bays rather
than about one renderer. Where the training generator draws a flat 2-D bay face-on from the
door, this one projects a 3-D bay through a pinhole camera standing off-axis and higher (a
dock or a ramp), stacks the load as shrink-wrapped pallet cubes that leave from the door side,
lights it with sodium lamps, overcast daylight or dusk, pans the camera slowly, and moves
people as shaded capsules carrying cubes out.

    take = TakeB(seed=3, duration=40.0, end_fill=0.0)      # an honest, complete unloading
    frame = take.frame(12.4)                               # RGB uint8, take.size
    take.fill_at(12.4), take.label_at(12.4)                # ground truth at that time
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

LABELS = ("empty", "partial", "loaded")
LOADED_FROM = 0.8
Color = tuple[int, int, int]

# palettes: (name, sky/backdrop top, backdrop bottom, ground, light tint (RGB gains))
_LIGHTS: tuple[tuple[str, Color, Color, Color, tuple[float, float, float]], ...] = (
    ("sodium night", (18, 16, 24), (60, 46, 30), (52, 48, 44), (1.25, 0.92, 0.55)),
    ("overcast", (176, 182, 190), (140, 146, 150), (98, 98, 96), (0.95, 0.98, 1.02)),
    ("dusk", (40, 52, 96), (170, 110, 90), (70, 64, 60), (1.05, 0.9, 0.95)),
    ("warehouse", (90, 92, 80), (120, 120, 104), (120, 118, 110), (1.0, 1.0, 0.85)),
)
_BODIES: tuple[Color, ...] = ((210, 212, 208), (30, 70, 140), (140, 30, 30), (60, 110, 60),
                              (200, 160, 40), (90, 90, 96))
_WRAPS: tuple[Color, ...] = ((200, 196, 170), (150, 110, 70), (70, 90, 160), (180, 60, 40),
                             (60, 60, 60), (220, 220, 225))
_VESTS: tuple[Color, ...] = ((250, 200, 20), (255, 120, 0), (170, 240, 40))


def _pt(uv: np.ndarray) -> tuple[int, int]:
    return int(uv[0]), int(uv[1])


def label_of(fill: float) -> str:
    if fill <= 0.0:
        return "empty"
    return "loaded" if fill >= LOADED_FROM else "partial"


@dataclass
class TakeB:
    """One coherent take: geometry, light and people fixed by `seed`; the load goes from
    `start_fill` to `end_fill` between `work_from` and `work_to` (fractions of the duration),
    then the camera keeps filming for the rest. `end_fill` 0 is a complete unloading;
    `cartons_left` > 0 leaves that many cubes against the front wall."""

    seed: int
    duration: float = 40.0
    start_fill: float = 1.0
    end_fill: float = 0.0
    cartons_left: int = 0
    work_from: float = 0.1
    work_to: float = 0.75
    size: tuple[int, int] = (480, 270)
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        r = np.random.default_rng([self.seed, 0xB0B])
        self.rng = r
        self.light = _LIGHTS[int(r.integers(len(_LIGHTS)))]
        self.body = _BODIES[int(r.integers(len(_BODIES)))]
        self.wrap = _WRAPS[int(r.integers(len(_WRAPS)))]
        self.bay_w = float(r.uniform(2.3, 2.5))
        self.bay_h = float(r.uniform(2.2, 2.7))
        self.bay_l = float(r.uniform(6.0, 13.0))
        self.floor = float(r.uniform(1.0, 1.4))  # bay floor above the ground
        self.cam = np.array([r.uniform(-1.6, 1.6), r.uniform(2.6, 3.6), -r.uniform(4.5, 7.0)])
        self.yaw0 = float(-self.cam[0] * 0.09 + r.uniform(-0.05, 0.05))
        self.pitch = float(r.uniform(0.14, 0.24))
        self.focal = float(r.uniform(0.85, 1.2))
        self.cube = float(r.uniform(1.0, 1.25))
        self.cols = max(2, int(self.bay_w // self.cube))
        self.rows = 2 if self.bay_h > 2.3 else 1
        self.slices = max(3, int(self.bay_l // self.cube))
        self.people = int(r.integers(1, 4))
        self.paths = [(r.uniform(0, 6.28), r.uniform(0.15, 0.35), r.uniform(-1.5, 1.5))
                      for _ in range(self.people)]
        self.vest = [_VESTS[int(r.integers(len(_VESTS)))] for _ in range(self.people)]
        self.flicker = float(r.uniform(0.0, 0.06))
        # fixed per-cube colour variation and the order the last cubes are taken in
        self.shade = r.uniform(0.8, 1.15, (self.slices, self.rows, self.cols))

    # --- ground truth ---------------------------------------------------------------------

    def fill_at(self, t: float) -> float:
        a, b = self.work_from * self.duration, self.work_to * self.duration
        k = float(np.clip((t - a) / max(b - a, 1e-6), 0.0, 1.0))
        fill = self.start_fill + (self.end_fill - self.start_fill) * k
        if fill <= 1e-3 and self.cartons_left:
            return 0.5 / self.slices  # a few cubes stand at the front wall
        return max(0.0, fill)

    def label_at(self, t: float) -> str:
        return label_of(self.fill_at(t))

    def working(self, t: float) -> bool:
        return self.work_from * self.duration <= t <= self.work_to * self.duration

    # --- rendering --------------------------------------------------------------------------

    def _project(self, pts: np.ndarray, t: float) -> np.ndarray:
        w, h = self.size
        yaw = self.yaw0 + 0.05 * math.sin(0.21 * t + self.seed) + 0.004 * math.sin(7.3 * t)
        pitch = self.pitch + 0.003 * math.sin(5.1 * t + 1.0)
        p = pts - self.cam
        cy, sy, cp, spi = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)
        x = cy * p[:, 0] - sy * p[:, 2]
        z = sy * p[:, 0] + cy * p[:, 2]
        y = cp * p[:, 1] + spi * z
        z = -spi * p[:, 1] + cp * z
        f = self.focal * w * (1.0 + 0.04 * math.sin(0.05 * t))  # slow zoom breathing
        z = np.maximum(z, 0.05)
        return np.stack([w / 2 + f * x / z, h * 0.45 - f * y / z], axis=1)

    def _quad(self, img: np.ndarray, pts: list[tuple[float, float, float]],
              color: tuple[int, ...], t: float) -> None:
        uv = self._project(np.array(pts, np.float64), t)
        cv2.fillConvexPoly(img, np.round(uv * 4).astype(np.int32), color, cv2.LINE_AA, 2)

    def frame(self, t: float) -> np.ndarray:
        w, h = self.size
        _, top, bottom, ground, tint = self.light
        img = np.empty((h, w, 3), np.uint8)
        ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        img[:] = (np.array(top) * (1 - ramp) + np.array(bottom) * ramp)[:, None, :].astype(np.uint8)
        gw, fl = 30.0, self.floor
        self._quad(img, [(-gw, 0, -12), (gw, 0, -12), (gw, 0, 40), (-gw, 0, 40)], ground, t)
        bw, bh, bl = self.bay_w / 2, self.bay_h, self.bay_l
        rim = 0.18
        body = self.body
        dark = tuple(int(c * 0.45) for c in body)
        # the vehicle's rear: frame around the door, chassis under it
        self._quad(img, [(-bw - rim, fl - 0.1, 0), (bw + rim, fl - 0.1, 0),
                         (bw + rim, fl + bh + rim, 0), (-bw - rim, fl + bh + rim, 0)], body, t)
        self._quad(img, [(-bw, 0.3, 0.2), (bw, 0.3, 0.2), (bw, fl - 0.1, 0.2),
                         (-bw, fl - 0.1, 0.2)], (25, 25, 28), t)
        inner = (92, 88, 82)
        self._quad(img, [(-bw, fl, 0), (bw, fl, 0), (bw, fl, bl), (-bw, fl, bl)],
                   tuple(int(c * 0.8) for c in inner), t)  # floor
        self._quad(img, [(-bw, fl, 0), (-bw, fl + bh, 0), (-bw, fl + bh, bl), (-bw, fl, bl)],
                   inner, t)  # left wall
        self._quad(img, [(bw, fl, 0), (bw, fl + bh, 0), (bw, fl + bh, bl), (bw, fl, bl)],
                   tuple(int(c * 0.9) for c in inner), t)
        self._quad(img, [(-bw, fl + bh, 0), (bw, fl + bh, 0), (bw, fl + bh, bl),
                         (-bw, fl + bh, bl)], tuple(int(c * 0.6) for c in inner), t)
        self._quad(img, [(-bw, fl, bl), (bw, fl, bl), (bw, fl + bh, bl), (-bw, fl + bh, bl)],
                   dark, t)  # front wall
        self._draw_load(img, t)
        self._draw_people(img, t)
        return self._sensor(img, t, tint)

    def _cubes(self, t: float) -> list[tuple[int, int, int]]:
        fill = self.fill_at(t)
        if fill <= 0.0:
            return []
        total = self.slices * self.rows * self.cols
        if self.cartons_left and fill < 1.0 / self.slices:
            n = min(self.cartons_left, total)
        else:
            n = round(fill * total)
        cells = [(k, r, c) for k in range(self.slices)
                 for r in range(self.rows) for c in range(self.cols)]
        return cells[:n]  # front wall first; the door side leaves first

    def _draw_load(self, img: np.ndarray, t: float) -> None:
        bw, fl, s = self.bay_w / 2, self.floor, self.cube
        gap = 0.04
        span = (self.bay_w - gap) / self.cols
        for k, r, c in sorted(self._cubes(t), key=lambda e: (e[0], -abs(e[2] - self.cols / 2))):
            z1 = self.bay_l - k * s - gap
            z0 = z1 - s + gap
            x0 = -bw + c * span + gap
            x1 = x0 + span - gap
            y0 = fl + r * s * 0.95
            y1 = y0 + s * 0.95 - gap
            g = float(self.shade[k, r, c])
            col = tuple(int(min(255, v * g)) for v in self.wrap)
            side = tuple(int(v * 0.7) for v in col)
            topc = tuple(int(min(255, v * 1.15)) for v in col)
            self._quad(img, [(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], topc, t)
            sx = x1 if self.cam[0] > x1 else x0
            self._quad(img, [(sx, y0, z0), (sx, y1, z0), (sx, y1, z1), (sx, y0, z1)], side, t)
            self._quad(img, [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], col, t)
            # pallet under the bottom row, a strap across the face
            if r == 0:
                self._quad(img, [(x0, y0, z0), (x1, y0, z0), (x1, y0 + 0.12, z0),
                                 (x0, y0 + 0.12, z0)], (150, 120, 80), t)
            ym = (y0 + y1) / 2
            self._quad(img, [(x0, ym, z0 - 0.01), (x1, ym, z0 - 0.01), (x1, ym + 0.05, z0 - 0.01),
                             (x0, ym + 0.05, z0 - 0.01)], (30, 30, 30), t)

    def _draw_people(self, img: np.ndarray, t: float) -> None:
        for i, (phase, speed, lane) in enumerate(self.paths):
            if not self.working(t) and i > 0:
                continue  # after the work only one person stays about, standing still
            u = math.sin(phase + speed * t * (1.0 if self.working(t) else 0.1))
            z = -1.2 + 1.0 * u if not self.working(t) else -2.0 + 2.6 * (u + 1) / 2
            x = lane + 0.5 * math.cos(phase + 0.7 * t) * (1 if self.working(t) else 0.05)
            inside = z > 0.2
            base = self.floor if inside else 0.0
            x = float(np.clip(x, -self.bay_w / 2 + 0.3, self.bay_w / 2 - 0.3)) if inside else x
            height = 1.75
            pts = np.array([(x, base, z), (x, base + height * 0.55, z), (x, base + height, z)])
            uv = self._project(pts, t)
            scale = abs(uv[0, 1] - uv[2, 1])
            wpx = max(2, int(scale * 0.16))
            cv2.line(img, _pt(uv[0]), _pt(uv[1]), (40, 44, 60), wpx,
                     cv2.LINE_AA)
            cv2.line(img, _pt(uv[1]), _pt(uv[2] + [0, scale * 0.12]),
                     self.vest[i], int(wpx * 1.5), cv2.LINE_AA)
            cv2.circle(img, _pt(uv[2]), max(2, int(scale * 0.09)), (200, 160, 130),
                       -1, cv2.LINE_AA)
            if self.working(t) and math.cos(phase + speed * t) > 0:  # carrying a cube out
                c = _pt(uv[1] + [scale * 0.12, 0])
                half = max(2, int(scale * 0.14))
                cv2.rectangle(img, (c[0] - half, c[1] - half), (c[0] + half, c[1] + half),
                              self.wrap, -1)

    def recount_frame(self, places: int, t: float = 0.0) -> np.ndarray:
        """The emptied vehicle with `places` separate cargo places (pallet cubes, each its own
        colour shade) set out on the ground in front of it, as for a recount: the inspector
        steps back, so the camera stands further off and looks flatter than for the bay."""
        cam, pitch = self.cam, self.pitch
        self.cam, self.pitch = np.array([cam[0] * 0.5, 2.4, -11.0]), 0.2
        try:
            return self._recount(places, t)
        finally:
            self.cam, self.pitch = cam, pitch

    def _recount(self, places: int, t: float) -> np.ndarray:
        w, h = self.size
        _, top, bottom, ground, tint = self.light
        img = np.empty((h, w, 3), np.uint8)
        ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        img[:] = (np.array(top) * (1 - ramp) + np.array(bottom) * ramp)[:, None, :].astype(np.uint8)
        self._quad(img, [(-30, 0, -12), (30, 0, -12), (30, 0, 40), (-30, 0, 40)], ground, t)
        bw, fl, bh = self.bay_w / 2, self.floor, self.bay_h
        self._quad(img, [(-bw - 0.18, fl - 0.1, 0), (bw + 0.18, fl - 0.1, 0),
                         (bw + 0.18, fl + bh + 0.18, 0), (-bw - 0.18, fl + bh + 0.18, 0)],
                   self.body, t)
        self._quad(img, [(-bw, fl, 0.01), (bw, fl, 0.01), (bw, fl + bh, 0.01), (-bw, fl + bh, 0.01)],
                   (40, 38, 36), t)
        cols = 5
        size = 0.7
        cells = [(i % cols, i // cols) for i in range(places)]
        for c, r in sorted(cells, key=lambda e: e[1]):  # far rows (nearer the vehicle) first
            x0 = -3.0 + c * 1.3 + 0.2 * (r % 2)
            z0 = -1.0 - r * 1.7
            g = float(self.shade[r % self.slices, 0, c % self.cols])
            col = tuple(int(min(255, v * g)) for v in self.wrap)
            x1, z1, y1 = x0 + size, z0 - size, size
            self._quad(img, [(x0, y1, z1), (x1, y1, z1), (x1, y1, z0), (x0, y1, z0)],
                       tuple(int(min(255, v * 1.2)) for v in col), t)
            self._quad(img, [(x0, 0, z1), (x1, 0, z1), (x1, y1, z1), (x0, y1, z1)], col, t)
            self._quad(img, [(x0, 0.0, z1), (x1, 0.0, z1), (x1, 0.08, z1), (x0, 0.08, z1)],
                       (150, 120, 80), t)
        return self._sensor(img, t, tint)

    def _sensor(self, img: np.ndarray, t: float, tint: tuple[float, float, float]) -> np.ndarray:
        h, w = img.shape[:2]
        f = img.astype(np.float32) * np.array(tint, np.float32)
        f *= 1.0 + self.flicker * math.sin(2 * math.pi * 2.0 * t)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2
        f *= (1.0 - 0.9 * r2)[..., None]  # vignetting
        noise = np.random.default_rng([self.seed, round(t * 1000)]).normal(0, 3.5, f.shape)
        return np.clip(f + noise, 0, 255).astype(np.uint8)


def honest_and_incomplete(n: int, seed0: int = 5000, duration: float = 40.0) -> list[TakeB]:
    """n takes, alternating complete (ending with an empty bay for the last quarter) and
    incomplete (a share of the load or a few cartons left), each with its own scene."""
    takes = []
    for i in range(n):
        seed = seed0 + i
        r = np.random.default_rng([seed, 7])
        if i % 2 == 0:
            takes.append(TakeB(seed, duration, end_fill=0.0))
        elif r.random() < 0.5:
            takes.append(TakeB(seed, duration, end_fill=float(r.uniform(0.2, 0.6))))
        else:
            takes.append(TakeB(seed, duration, end_fill=0.0, cartons_left=int(r.integers(2, 6))))
    return takes
