"""An independent X-ray scan generator, for evaluation only (not `backend/idk/xray.py`, not
`models/training/xray_data.py`): a container on a flat wagon, seen side-on, holding one
homogeneous load (plain sacks of grain, water bottles, ceramic tiles), optionally with a dense
block hidden in it. Exported three ways, as scanners and their operators' tools do:

- `raw16`: linear transmission, 16-bit, air near full scale (the scanner's raw export);
- `lut8`: the display copy, 8-bit through a gamma / log-like window (what a screenshot gives);
- `inverted`: the display copy inverted (dense = bright), as some viewers export it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

EXPORTS = ("raw16", "lut8", "inverted")
# attenuation per cm of each load (1/cm), at the scanner's effective energy
_LOADS = {"grain": 0.11, "water": 0.16, "tiles": 0.32}


@dataclass(frozen=True)
class ScanB:
    transmission: np.ndarray  # float32 [H, W] in (0, 1]
    concealed: tuple[int, int, int, int] | None  # x, y, w, h of the hidden block, or None
    load: str


def scan(seed: int, concealed: bool, height: int = 600) -> ScanB:
    r = np.random.default_rng([seed, 0x4B])
    width = int(height * r.uniform(3.2, 4.2))
    mu = np.zeros((height, width), np.float32)  # attenuation (-ln t)
    x0, x1 = int(width * r.uniform(0.05, 0.1)), int(width * r.uniform(0.9, 0.95))
    y0, y1 = int(height * r.uniform(0.12, 0.2)), int(height * r.uniform(0.7, 0.76))
    # container walls, corrugation, floor; wagon deck, bogies and wheels
    mu[y0:y1, x0:x1] += 0.35
    mu[y0 + 6 : y1 - 6, x0 + 6 : x1 - 6] -= 0.2
    for cx in range(x0, x1, max(6, width // 120)):
        mu[y0:y1, cx : cx + 2] += 0.05
    deck = y1 + int(height * 0.03)
    mu[y1:deck, x0 - 20 : x1 + 20] += 1.6
    for wx in (x0 + (x1 - x0) * f for f in (0.12, 0.2, 0.8, 0.88)):
        cv2.circle(mu, (int(wx), deck + int(height * 0.08)), int(height * 0.07), 2.2, -1)
    # the load: homogeneous, up to a fill height, with mild grain
    load = list(_LOADS)[int(r.integers(len(_LOADS)))]
    fill_top = int(y0 + (y1 - y0) * r.uniform(0.05, 0.4))
    lx1 = int(x0 + (x1 - x0) * r.uniform(0.6, 0.98))
    depth_cm = 230.0
    grain = cv2.GaussianBlur(r.normal(0, 0.03, (height, width)).astype(np.float32), (0, 0), 3)
    mu[fill_top : y1 - 6, x0 + 6 : lx1] += _LOADS[load] * depth_cm * 0.012 + grain[
        fill_top : y1 - 6, x0 + 6 : lx1
    ]
    box = None
    if concealed:
        bw, bh = int(height * r.uniform(0.12, 0.22)), int(height * r.uniform(0.08, 0.16))
        bx = int(r.integers(x0 + 20, max(x0 + 21, lx1 - bw - 20)))
        by = int(r.integers(fill_top + 5, max(fill_top + 6, y1 - bh - 10)))
        mu[by : by + bh, bx : bx + bw] += float(r.uniform(0.9, 1.6))  # metal / dense powder
        box = (bx, by, bw, bh)
    mu = np.asarray(cv2.GaussianBlur(mu, (0, 0), 1.2), np.float32)
    trans = np.exp(-mu) * (1.0 + r.normal(0, 0.01, mu.shape))
    return ScanB(np.clip(trans, 1e-4, 1.0).astype(np.float32), box, load)


def export(trans: np.ndarray, kind: str) -> np.ndarray:
    if kind == "raw16":
        return np.clip(trans * 62000.0 + 900.0, 0, 65535).astype(np.uint16)
    display = np.clip(255.0 * trans ** (1 / 2.2), 0, 255)  # the viewer's gamma window
    if kind == "lut8":
        return display.astype(np.uint8)
    if kind == "inverted":
        return (255.0 - display).astype(np.uint8)
    raise ValueError(f"export must be one of {EXPORTS}")
