"""Synthetic customs-inspection scenes, deterministic by seed.

A camera looks into a truck trailer or a container from its open rear, or into a rail wagon
through its side door. The bay holds a load whose front face recedes as `fill_fraction` goes
from 1 (loaded to the door) to 0 (empty); in front of the vehicle, on the ground or platform,
stand `n_places_visible` separate cargo places (boxes, sacks, pallets, drums), the layout an
inspector films for a recount. People walk about and carry cargo.

Everything that makes up the scene (vehicle, colours, light, the order in which places appear,
people's paths) depends on `rng_seed` and `kind` only, so a video made by calling
`render_scene` with the same seed and a changing `fill_fraction`, `n_places_visible` and `t`
is one coherent take: unloading is `fill_fraction` going 1 -> 0 over t, a recount is a fixed
`n_places_visible`. Per-frame sensor effects (shake, noise) depend on `t` as well.

The counter's target is `n_places_visible`: places standing apart in front of the vehicle,
not the units inside a stacked load, nor a box a person is carrying.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

try:  # package import (python -m models.training...) or a plain script beside this file
    from . import scene_parts as sp
    from .scene_layout import KINDS, Layout, make_layout
except ImportError:  # pragma: no cover
    import scene_parts as sp  # type: ignore[no-redef]
    from scene_layout import KINDS, Layout, make_layout  # type: ignore[no-redef]

LABELS = ("empty", "partial", "loaded")
EMPTY_BELOW = 0.02
LOADED_FROM = 0.8
MAX_PLACES = 30

# Fill ranges the trainers sample per class: a margin around each threshold keeps labels clean.
FILL_RANGES = {"empty": (0.0, 0.0), "partial": (0.12, 0.68), "loaded": (0.88, 1.0)}

__all__ = ["HOLDOUT_SEED_BASE", "KINDS", "LABELS", "MAX_PLACES", "Scene", "ScenePlan", "compose_scene",
           "occupancy_label", "render_scene", "sample_plan"]


def occupancy_label(fill_fraction: float) -> str:
    if fill_fraction < EMPTY_BELOW:
        return "empty"
    return "loaded" if fill_fraction >= LOADED_FROM else "partial"


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # uint8 RGB [H, W, 3]
    label: str
    places: np.ndarray  # float32 [n, 2] visual centres (x, y) of the places, in pixels


@dataclass(frozen=True)
class ScenePlan:
    rng_seed: int
    kind: str
    fill_fraction: float
    n_places_visible: int
    t: float
    size: tuple[int, int]


HOLDOUT_SEED_BASE = 2**30


def sample_plan(rng: np.random.Generator, label: str | None = None,
                holdout: bool = False) -> ScenePlan:
    """One random scene; `label` forces the occupancy class. Training scenes take scene seeds
    below HOLDOUT_SEED_BASE and held-out scenes at or above it, so no held-out vehicle, light
    or layout was ever seen in training."""
    label = label or LABELS[int(rng.integers(3))]
    lo, hi = FILL_RANGES[label]
    aspect = rng.choice([16 / 9, 4 / 3, 3 / 4, 1.0], p=[0.55, 0.25, 0.1, 0.1])
    width = int(rng.integers(192, 320))
    return ScenePlan(
        rng_seed=int(rng.integers(HOLDOUT_SEED_BASE)) + HOLDOUT_SEED_BASE * holdout,
        kind=KINDS[int(rng.integers(len(KINDS)))],
        fill_fraction=float(rng.uniform(lo, hi)),
        n_places_visible=int(rng.integers(0, MAX_PLACES + 1)),
        t=float(rng.uniform(0, 120)),
        size=(width, max(96, round(width / aspect))),
    )


def render_scene(rng_seed: int, kind: str, fill_fraction: float, n_places_visible: int,
                 t: float = 0.0, size: tuple[int, int] = (320, 180)) -> np.ndarray:
    """One RGB frame, `size` = (width, height)."""
    return compose_scene(rng_seed, kind, fill_fraction, n_places_visible, t, size).image


def compose_scene(rng_seed: int, kind: str, fill_fraction: float, n_places_visible: int,
                  t: float = 0.0, size: tuple[int, int] = (320, 180)) -> Scene:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if not 0 <= n_places_visible <= MAX_PLACES:
        raise ValueError(f"n_places_visible must be within 0..{MAX_PLACES}")
    fill = float(np.clip(fill_fraction, 0.0, 1.0))
    width, height = int(size[0]), int(size[1])
    lay = make_layout(rng_seed, kind)
    img = np.zeros((height, width, 3), np.uint8)
    _draw_surroundings(img, lay)
    _draw_bay(img, lay, fill, t)
    centres = _draw_apron(img, lay, n_places_visible, t)
    lit = _apply_light(img, lay)
    frame_rng = np.random.default_rng([rng_seed, KINDS.index(kind), round(t * 1000) + 17])
    img, centres = _apply_camera(lit, lay, t, centres, frame_rng)
    return Scene(img, occupancy_label(fill), centres.astype(np.float32).reshape(-1, 2))


def _px(lay: Layout, img: np.ndarray) -> tuple[float, float]:
    return float(img.shape[1]), float(img.shape[0])


def _draw_surroundings(img: np.ndarray, lay: Layout) -> None:
    w, h = _px(lay, img)
    g = int(lay.ground_top * h)
    top, bottom = np.array(lay.sky_top, np.float32), np.array(lay.sky_bottom, np.float32)
    ramp = np.linspace(0, 1, max(1, g), dtype=np.float32)[:, None]
    img[:g] = (top * (1 - ramp) + bottom * ramp)[:, None, :].astype(np.uint8)
    rng = np.random.default_rng(lay.detail_seed)
    for x0, y0, x1, shed in lay.clutter:
        sp.rect(img, x0 * w, y0 * h, x1 * w, lay.ground_top * h, shed)
    img[g:] = np.array(lay.ground, np.uint8)
    sp.add_texture(img, rng, g, int(h), 0, int(w), lay.ground_texture, grain=6)
    for lx, col in lay.ground_lines:
        sp.line(img, (lx * w, h), ((lx * 0.6 + 0.2) * w, g), col, max(1.0, w * 0.006))
    _draw_vehicle(img, lay, w, h)


def _draw_vehicle(img: np.ndarray, lay: Layout, w: float, h: float) -> None:
    left, top, right, bottom = lay.opening
    x0, y0, x1, y1 = left * w, top * h, right * w, bottom * h
    g = lay.ground_top * h
    fb = lay.frame * w
    body = lay.body_color
    if lay.kind == "wagon":
        sp.rect(img, lay.body_span[0] * w, lay.body_top * h, lay.body_span[1] * w, g, body)
        for rx in np.arange(lay.body_span[0], lay.body_span[1], 0.045):
            sp.line(img, (rx * w, lay.body_top * h), (rx * w, g), sp.shade(body, 0.75), w * 0.004)
        sp.rect(img, lay.body_span[0] * w, g - h * 0.025, lay.body_span[1] * w, g, (40, 40, 42))
        dx = (x1 - x0 + fb) * (1 if lay.door_side > 0 else -1)
        door = sp.shade(body, 1.1)
        sp.rect(img, x0 + dx - fb * 0.5, y0 - fb, x1 + dx + fb * 0.5, y1 + fb * 0.5, door)
        for k in range(1, 4):
            xr = x0 + dx + (x1 - x0) * k / 4
            sp.line(img, (xr, y0), (xr, y1), sp.shade(door, 0.7), w * 0.004)
        cv2.putText(img, lay.stencil, (int(lay.body_span[0] * w + w * 0.06), int(y0 + h * 0.06)),
                    cv2.FONT_HERSHEY_SIMPLEX, w / 900, (235, 235, 230), 1, cv2.LINE_AA)
    else:
        sp.rect(img, x0 - fb, y0 - fb, x1 + fb, y1 + fb * 1.2, body)
        sp.rect(img, x0 - fb * 1.1, y1 + fb * 1.2, x1 + fb * 1.1, y1 + fb * 2.2, (35, 35, 38))
        for wx in (x0 - fb * 0.4, x1 - (x1 - x0) * 0.22):
            sp.rect(img, wx, y1 + fb * 2.2, wx + (x1 - x0) * 0.22 + fb * 0.4, g, (22, 22, 24))
        for cx in (x0, x1 - fb * 1.5):
            sp.rect(img, cx, y1 + fb * 1.35, cx + fb * 1.5, y1 + fb * 1.95, (200, 30, 25))
        door = sp.shade(body, 0.9)
        for side in (-1, 1):
            hinge = x0 - fb if side < 0 else x1 + fb
            out = hinge + side * lay.door_open * w
            pts = [(hinge, y0 - fb), (out, y0 - fb - lay.door_open * h * 0.5),
                   (out, y1 + fb + lay.door_open * h * 0.6), (hinge, y1 + fb)]
            sp.fill_poly(img, pts, door)
            for frac in (0.3, 0.7):
                xr = hinge + (out - hinge) * frac
                sp.line(img, (xr, y0), (xr, y1 + fb), sp.shade(door, 0.6), w * 0.004)
        if lay.kind == "container":
            for rx in np.linspace(x0 - fb, x1 + fb, 14):
                sp.line(img, (rx, y0 - fb), (rx, y0 - fb * 0.2), sp.shade(body, 0.7), 1)
            cv2.putText(img, lay.stencil, (int(x1 + fb * 0.3), int(y0 - fb * 0.3)),
                        cv2.FONT_HERSHEY_SIMPLEX, w / 1100, (240, 240, 240), 1, cv2.LINE_AA)
        else:
            pw = (x1 - x0) * 0.18
            sp.rect(img, (x0 + x1) / 2 - pw / 2, y1 + fb * 1.3, (x0 + x1) / 2 + pw / 2,
                    y1 + fb * 2.0, (238, 238, 235))


def _draw_bay(img: np.ndarray, lay: Layout, fill: float, t: float) -> None:
    w, h = _px(lay, img)
    left, top, right, bottom = lay.opening
    vx, vy = lay.vanishing[0] * w, lay.vanishing[1] * h

    def proj(x: float, y: float, z: float) -> tuple[float, float]:
        s = 1.0 / (1.0 + lay.depth * z)
        px = (left + (right - left) * x) * w
        py = (bottom - (bottom - top) * y) * h
        return vx + (px - vx) * s, vy + (py - vy) * s

    slices = 6
    for i in range(slices):
        z0, z1 = i / slices, (i + 1) / slices
        f = 1.0 - lay.falloff * (z0 + z1) / 2
        quads = {
            "floor": [proj(0, 0, z0), proj(1, 0, z0), proj(1, 0, z1), proj(0, 0, z1)],
            "ceiling": [proj(0, 1, z0), proj(1, 1, z0), proj(1, 1, z1), proj(0, 1, z1)],
            "left": [proj(0, 0, z0), proj(0, 1, z0), proj(0, 1, z1), proj(0, 0, z1)],
            "right": [proj(1, 0, z0), proj(1, 1, z0), proj(1, 1, z1), proj(1, 0, z1)],
        }
        for name, quad in quads.items():
            base = lay.floor_color if name == "floor" else lay.wall_color
            tone = {"floor": 1.0, "ceiling": 0.8, "left": 0.9, "right": 0.95}[name]
            sp.fill_poly(img, quad, sp.shade(base, f * tone))
    back = [proj(0, 0, 1), proj(1, 0, 1), proj(1, 1, 1), proj(0, 1, 1)]
    sp.fill_poly(img, back, sp.shade(lay.wall_color, (1.0 - lay.falloff) * 0.85))
    rib = sp.shade(lay.wall_color, 0.7)
    for x in np.linspace(0.1, 0.9, 7):
        sp.line(img, proj(x, 0, 0), proj(x, 0, 1), sp.shade(lay.floor_color, 0.75), 1)
    for z in np.linspace(0.05, 0.95, lay.wall_ribs):
        sp.line(img, proj(0, 0, z), proj(0, 1, z), rib, 1)
        sp.line(img, proj(1, 0, z), proj(1, 1, z), rib, 1)
    for dx, dz, speck in lay.debris:
        sp.ellipse(img, proj(dx, 0, dz), (w * 0.008, h * 0.004), speck)

    # Farther load faces first, so nearer ones paint over them.
    columns = sorted(lay.columns, key=lambda c: -(1.0 - fill + c.recess))
    for col in columns:
        z = 1.0 - fill + col.recess
        if fill <= 0.0 or z > 0.985:
            continue
        z = max(0.0, z)
        x0, x1, ht = col.x0, col.x1, col.height
        sp.fill_poly(img, [proj(x0, ht, z), proj(x1, ht, z), proj(x1, ht, 1), proj(x0, ht, 1)],
                     sp.shade(col.colors[0], 1.1 - 0.4 * lay.falloff))
        for xs in (x0, x1):
            sp.fill_poly(img, [proj(xs, 0, z), proj(xs, 0, 1), proj(xs, ht, 1), proj(xs, ht, z)],
                         sp.shade(col.colors[0], 0.7 - 0.3 * lay.falloff))
        rng = np.random.default_rng(col.seed)
        face_tone = 1.0 - lay.falloff * z
        for r in range(col.rows):
            for c in range(col.cols):
                a = proj(x0 + (x1 - x0) * c / col.cols, ht * (r + 1) / col.rows, z)
                b = proj(x0 + (x1 - x0) * (c + 1) / col.cols, ht * r / col.rows, z)
                colour = sp.shade(col.colors[(r * col.cols + c) % len(col.colors)], face_tone)
                sp.draw_item_face(img, col.cargo, a[0], a[1], b[0], b[1], colour, rng)

    for person in lay.people:
        if person.where != "bay":
            continue
        z = person.depth
        blocked = any(1.0 - fill + c.recess < z + 0.08 and c.x0 <= person.x_at(t) <= c.x1
                      for c in lay.columns if fill > 0)
        if blocked:
            continue
        fx, fy = proj(person.x_at(t), 0, z)
        height = (bottom - top) * h * 0.72 / (1.0 + lay.depth * z)
        sp.draw_person(img, fx, fy, height, person.vest, person.trousers, person.skin,
                       person.carrying, person.phase + t * 5)


def _draw_apron(img: np.ndarray, lay: Layout, n: int, t: float) -> np.ndarray:
    w, h = _px(lay, img)
    items: list[tuple[float, int, int]] = []
    for i, place in enumerate(lay.places[:n]):
        items.append((place.base_y, 0, i))
    for j, person in enumerate(lay.people):
        if person.where == "apron":
            items.append((person.foot_y, 1, j))
    centres: list[tuple[float, float]] = []
    vx = lay.vanishing[0] * w
    for _, what, idx in sorted(items, key=lambda it: it[0]):
        if what == 0:
            p = lay.places[idx]
            cx, by, pw, ph = p.cx * w, p.base_y * h, p.w * w, p.h * h
            skew = (vx - cx) / w * pw * 0.6
            centre = sp.draw_place(img, p.cargo, cx, by, pw, ph, p.color, skew, lay.ground,
                                   np.random.default_rng(p.seed))
            centres.append(centre)
        else:
            person = lay.people[idx]
            far = (person.foot_y - lay.ground_top) / max(1e-3, 1.0 - lay.ground_top)
            height = (lay.ground_top - lay.opening[1]) * h * (0.5 + 0.45 * far)
            sp.draw_person(img, person.x_at(t) * w, person.foot_y * h, height, person.vest,
                           person.trousers, person.skin, person.carrying, person.phase + t * 5)
    return np.array(centres, np.float64).reshape(-1, 2)


def _apply_light(img: np.ndarray, lay: Layout) -> np.ndarray:
    """Returns the lit frame as float32: it stays float until the sensor noise is added."""
    h, w = img.shape[:2]
    sh, sw = max(8, h // 4), max(8, w // 4)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xs, ys = xs / sw, ys / sh * (h / w)
    sx, sy = lay.spot[0], lay.spot[1] * (h / w)
    spot = np.exp(-((xs - sx) ** 2 + (ys - sy) ** 2) / (2 * lay.spot_sigma**2))
    gain = lay.gain + lay.spot_strength * spot
    mask = np.zeros((sh, sw), np.float32)
    left, top, right, bottom = lay.opening
    cv2.rectangle(mask, (int(left * sw), int(top * sh)), (int(right * sw), int(bottom * sh)), 1.0,
                  -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 1.0)
    gain = gain * (1.0 - mask * (1.0 - lay.interior_gain))
    gain_full = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    out = img.astype(np.float32)
    if lay.desaturate > 0:
        grey = out.mean(axis=2, keepdims=True)
        out = out * (1 - lay.desaturate) + grey * lay.desaturate
    out *= gain_full[:, :, None]
    out *= np.array(lay.tint, np.float32)
    return out


def _apply_camera(img: np.ndarray, lay: Layout, t: float, centres: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    shake = np.array([np.sin(2 * np.pi * f * t + ph) for f, ph in lay.shake_waves], np.float32)
    dx, dy = shake[0] * lay.shake * w, shake[1] * lay.shake * h
    rot = shake[2] * lay.shake * 0.5
    centred = src - np.array([w / 2, h / 2], np.float32)
    rotated = centred @ np.array([[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]],
                                 np.float32)
    dst = rotated + np.array([w / 2 + dx, h / 2 + dy], np.float32)
    dst += (np.array(lay.warp, np.float32).reshape(4, 2) * np.array([w, h], np.float32))
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    img = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT_101)
    if len(centres):
        centres = cv2.perspectiveTransform(centres.reshape(-1, 1, 2), m).reshape(-1, 2)
    scale = w / 320.0
    if lay.blur_kind == "gauss" and lay.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), lay.blur * scale)
    elif lay.blur_kind == "motion" and lay.blur > 0:
        length = max(2, round(lay.blur * 3 * scale))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1.0 / length
        angle = lay.blur_angle + float(rng.normal(0, 10))
        rot_m = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
        kernel = cv2.warpAffine(kernel, rot_m, (length, length))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    if lay.noise > 0:
        img += rng.standard_normal(img.shape, dtype=np.float32) * np.float32(lay.noise)
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, lay.jpeg_quality])
    if ok:
        img = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return img, centres
