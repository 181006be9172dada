"""The static part of a synthetic scene: everything that `rng_seed` and `kind` decide.

Kept apart from the per-frame state (fill, places shown, time) so that a video rendered frame by
frame keeps the same vehicle, light, load columns and place positions throughout.
Positions are fractions of the frame width (x) and height (y).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

try:
    from .scene_parts import CARGO_COLORS, CARGO_KINDS, VEST_COLORS, Color, jitter_color
except ImportError:  # pragma: no cover
    from scene_parts import (  # type: ignore[no-redef]
        CARGO_COLORS,
        CARGO_KINDS,
        VEST_COLORS,
        Color,
        jitter_color,
    )

KINDS = ("trailer", "container", "wagon")
_GRID_CELLS = 32  # at least scenes.MAX_PLACES


@dataclass(frozen=True)
class Column:
    """One stack column of the load, across the bay's width (bay units 0..1)."""

    x0: float
    x1: float
    height: float
    recess: float  # how much deeper than the nominal load face this column stands
    rows: int
    cols: int
    cargo: str
    colors: tuple[Color, ...]
    seed: int


@dataclass(frozen=True)
class Place:
    cx: float
    base_y: float
    w: float
    h: float
    cargo: str
    color: Color
    seed: int


@dataclass(frozen=True)
class Person:
    where: str  # "bay" (x in bay units) or "apron" (x in frame units)
    x0: float
    speed: float
    span: tuple[float, float]
    depth: float
    foot_y: float
    vest: Color
    trousers: Color
    skin: Color
    carrying: Color | None
    phase: float

    def x_at(self, t: float) -> float:
        pos = (self.x0 + self.speed * t) % 2.0
        frac = pos if pos < 1.0 else 2.0 - pos
        return self.span[0] + (self.span[1] - self.span[0]) * frac


@dataclass(frozen=True)
class Layout:
    kind: str
    opening: tuple[float, float, float, float]  # left, top, right, bottom (bay floor at door)
    vanishing: tuple[float, float]
    depth: float  # perspective strength: bay length over opening size
    falloff: float  # how much darker the far end is
    ground_top: float
    frame: float
    body_color: Color
    body_span: tuple[float, float]
    body_top: float
    door_side: int
    door_open: float
    stencil: str
    wall_color: Color
    floor_color: Color
    wall_ribs: int
    sky_top: Color
    sky_bottom: Color
    clutter: tuple[tuple[float, float, float, Color], ...]
    ground: Color
    ground_texture: float
    ground_lines: tuple[tuple[float, Color], ...]
    detail_seed: int
    debris: tuple[tuple[float, float, Color], ...]
    columns: tuple[Column, ...]
    places: tuple[Place, ...]
    people: tuple[Person, ...]
    gain: float
    spot: tuple[float, float]
    spot_sigma: float
    spot_strength: float
    interior_gain: float
    tint: tuple[float, float, float]
    desaturate: float
    shake: float
    shake_waves: tuple[tuple[float, float], ...]
    warp: tuple[float, ...]
    blur_kind: str
    blur: float
    blur_angle: float
    noise: float
    jpeg_quality: int


def _pick(rng: np.random.Generator, options: list[Color]) -> Color:
    return jitter_color(options[int(rng.integers(len(options)))], rng, 0.08)


@lru_cache(maxsize=512)
def make_layout(rng_seed: int, kind: str) -> Layout:
    rng = np.random.default_rng([int(rng_seed), KINDS.index(kind), 0x5CE7E])
    u = rng.uniform
    if kind == "wagon":
        ground_top = u(0.58, 0.72)
        body_top = u(0.04, 0.14)
        top, bottom = body_top + u(0.04, 0.08), ground_top - u(0.02, 0.05)
        width, cx, depth = u(0.2, 0.34), u(0.35, 0.65), u(0.5, 1.0)
        body = _pick(rng, [(110, 60, 40), (60, 90, 62), (80, 95, 115), (140, 45, 35)])
        wall, floor = _pick(rng, [(150, 115, 80), (120, 110, 100)]), (125.0, 92.0, 60.0)
        ribs = 8
    else:
        ground_top = u(0.55, 0.7)
        body_top = 0.0
        top, bottom = u(0.05, 0.18), ground_top - u(0.07, 0.13)
        width, cx = u(0.26, 0.45), u(0.3, 0.7)
        if kind == "trailer":
            depth = u(2.2, 4.0)
            body = _pick(rng, [(225, 225, 225), (150, 150, 155), (40, 70, 140), (170, 40, 40)])
            wall = _pick(rng, [(205, 205, 200), (190, 160, 120), (170, 172, 175)])
            ribs = 5
        else:
            depth = u(1.8, 3.0)
            body = _pick(rng, [(160, 50, 40), (40, 70, 140), (50, 110, 70), (210, 110, 40),
                               (140, 140, 140), (110, 35, 45)])
            wall = jitter_color(body, rng, 0.1)
            ribs = 18
        floor = _pick(rng, [(120, 85, 50), (150, 110, 70), (110, 110, 112)])
    left, right = cx - width / 2, cx + width / 2
    vanishing = (cx + u(-0.3, 0.3) * width, top + (bottom - top) * u(0.2, 0.7))

    mode = str(rng.choice(["day", "overcast", "night", "flood", "indoor"],
                          p=[0.3, 0.2, 0.2, 0.2, 0.1]))
    skies: dict[str, tuple[Color, Color]] = {
        "day": ((110, 160, 215), (190, 210, 230)), "overcast": ((170, 175, 180), (205, 205, 208)),
        "night": ((8, 10, 22), (30, 30, 42)), "flood": ((15, 15, 25), (45, 42, 40)),
        "indoor": ((90, 90, 95), (135, 132, 128))}
    sky_top, sky_bottom = skies[mode]
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    desaturate, spot_strength, spot_sigma = 0.0, u(0.0, 0.2), u(0.25, 0.6)
    if mode == "day":
        gain, interior = u(0.95, 1.25), u(0.5, 0.9)
    elif mode in ("overcast", "indoor"):
        gain, interior, desaturate = u(0.75, 1.0), u(0.5, 0.9), u(0.1, 0.4)
    elif mode == "night":
        gain, interior = u(0.18, 0.35), u(0.5, 1.1)
        spot_strength, spot_sigma, tint = u(0.5, 1.1), u(0.2, 0.5), (0.85, 0.92, 1.1)
    else:
        gain, interior, spot_strength = u(0.35, 0.6), u(0.6, 1.1), u(0.7, 1.4)
        tint = (1.15, 0.92, 0.62) if rng.random() < 0.5 else (1.0, 1.0, 1.05)
    dark = mode in ("night", "flood")

    clutter = tuple(
        (x0, u(0.02, max(0.03, ground_top - 0.1)), x0 + u(0.05, 0.3),
         _pick(rng, [(120, 120, 125), (150, 140, 120), (90, 100, 90), (170, 170, 175)]))
        for x0 in u(-0.1, 1.0, int(rng.integers(0, 5)))
    )
    ground = _pick(rng, [(80, 80, 82), (160, 160, 155), (125, 108, 88), (222, 226, 232)])
    lines = tuple((float(u(0.0, 1.0)), _pick(rng, [(220, 190, 40), (225, 225, 225)]))
                  for _ in range(int(rng.integers(0, 3))))
    debris = tuple((float(u(0.1, 0.9)), float(u(0.05, 0.95)),
                    _pick(rng, [(40, 40, 40), (220, 220, 210), (200, 60, 40)]))
                   for _ in range(int(rng.integers(0, 5)) if rng.random() < 0.5 else 0))

    bay_cargo = [str(rng.choice(CARGO_KINDS)) for _ in range(2)]
    n_cols = int(rng.integers(*{"trailer": (2, 4), "container": (2, 5), "wagon": (3, 6)}[kind]))
    item_h = u(0.18, 0.35)
    edges = np.linspace(0, 1, n_cols + 1)
    columns = []
    for j in range(n_cols):
        cargo = bay_cargo[1] if rng.random() < 0.25 else bay_cargo[0]
        height = u(0.6, 0.97)
        gap = u(0.005, 0.03)
        rows = max(1, round(height / (0.45 if cargo == "pallet" else item_h)))
        base = CARGO_COLORS[cargo][int(rng.integers(len(CARGO_COLORS[cargo])))]
        colors = tuple(jitter_color(base, rng, 0.1) for _ in range(3))
        columns.append(Column(float(edges[j] + gap), float(edges[j + 1] - gap), height,
                              u(-0.05, 0.06), rows, int(rng.integers(1, 3)), cargo, colors,
                              int(rng.integers(2**31))))

    places = _make_places(rng, ground_top, bay_cargo)
    people = tuple(_make_person(rng, ground_top, bay_cargo)
                   for _ in range(int(rng.choice(4, p=[0.35, 0.35, 0.2, 0.1]))))

    blur_kind = str(rng.choice(["none", "gauss", "motion"], p=[0.45, 0.3, 0.25]))
    return Layout(
        kind=kind, opening=(left, top, right, bottom), vanishing=vanishing, depth=depth,
        falloff=u(0.2, 0.6), ground_top=ground_top, frame=u(0.012, 0.03), body_color=body,
        body_span=(u(-0.3, 0.05), u(0.95, 1.3)), body_top=body_top,
        door_side=1 if rng.random() < 0.5 else -1, door_open=u(0.02, 0.1),
        stencil=_stencil(rng, kind), wall_color=wall, floor_color=floor, wall_ribs=ribs,
        sky_top=sky_top, sky_bottom=sky_bottom, clutter=clutter, ground=ground,
        ground_texture=u(4, 14), ground_lines=lines, detail_seed=int(rng.integers(2**31)),
        debris=debris, columns=tuple(columns), places=places, people=people, gain=gain,
        spot=(u(0, 1), u(0, 0.6)), spot_sigma=spot_sigma, spot_strength=spot_strength,
        interior_gain=interior, tint=tint, desaturate=desaturate, shake=u(0.0, 0.015),
        shake_waves=tuple((u(0.2, 2.5), u(0, 2 * math.pi)) for _ in range(3)),
        warp=tuple(float(v) for v in np.clip(rng.normal(0, 0.015, 8), -0.04, 0.04)),
        blur_kind=blur_kind, blur=u(0.3, 1.6), blur_angle=u(0, 180),
        noise=u(0.5, 6.0) * (2.0 if dark else 1.0), jpeg_quality=int(rng.integers(25, 93)),
    )


def _make_places(rng: np.random.Generator, ground_top: float,
                 bay_cargo: list[str]) -> tuple[Place, ...]:
    """Cells of a perspective grid on the ground; a seeded order decides which appear first."""
    u = rng.uniform
    n_rows = int(rng.choice([4, 5]))
    n_cols = math.ceil(_GRID_CELLS / n_rows)
    y0, y1 = ground_top + 0.02, 0.95
    row_edges = y0 + (y1 - y0) * np.linspace(0, 1, n_rows + 1) ** u(1.1, 1.4)
    centre = 0.5 + u(-0.03, 0.03)
    cargo_main = bay_cargo[0] if rng.random() < 0.6 else str(rng.choice(CARGO_KINDS))
    palette = CARGO_COLORS[cargo_main]
    base_color = palette[int(rng.integers(len(palette)))]
    cells = []
    for r in range(n_rows):
        top, bottom = row_edges[r], row_edges[r + 1]
        near = (r + 0.5) / n_rows
        half = 0.33 + 0.12 * near
        cell_w = 2 * half / n_cols
        for c in range(n_cols):
            cargo = cargo_main if rng.random() < 0.7 else str(rng.choice(CARGO_KINDS))
            w = cell_w * u(0.45, 0.72)
            h = min(w * (16 / 9) * u(0.7, 1.1), (bottom - top) * 1.15)
            cx = centre - half + cell_w * (c + 0.5) + u(-1, 1) * (cell_w - w) * 0.4
            colour_src = base_color if cargo == cargo_main else \
                CARGO_COLORS[cargo][int(rng.integers(len(CARGO_COLORS[cargo])))]
            cells.append(Place(float(cx), float(bottom - u(0, 0.15) * (bottom - top)), float(w),
                               float(h), cargo, jitter_color(colour_src, rng, 0.12),
                               int(rng.integers(2**31))))
    order = rng.permutation(len(cells))
    return tuple(cells[i] for i in order)


def _make_person(rng: np.random.Generator, ground_top: float, bay_cargo: list[str]) -> Person:
    u = rng.uniform
    in_bay = rng.random() < 0.35
    cargo = bay_cargo[0]
    carrying = jitter_color(CARGO_COLORS["box"][int(rng.integers(3))], rng) \
        if rng.random() < 0.6 else None
    if cargo == "sack" and carrying is not None:
        carrying = jitter_color(CARGO_COLORS["sack"][0], rng)
    return Person(
        where="bay" if in_bay else "apron", x0=u(0, 2), speed=u(0.02, 0.12),
        span=(0.15, 0.85) if in_bay else (0.03, 0.97), depth=u(0.05, 0.5),
        foot_y=u(ground_top + 0.05, 0.97), vest=_pick(rng, VEST_COLORS),
        trousers=_pick(rng, [(30, 35, 50), (50, 50, 50), (60, 70, 50)]),
        skin=_pick(rng, [(225, 185, 150), (190, 140, 100), (140, 100, 70)]),
        carrying=carrying, phase=u(0, 2 * math.pi),
    )


def _stencil(rng: np.random.Generator, kind: str) -> str:
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, 8))
    if kind == "container":
        owner = "".join(rng.choice(list(string.ascii_uppercase), 3))
        return f"{owner}U {digits[:6]} {digits[6]}"
    return digits
