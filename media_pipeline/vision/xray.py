"""The X-ray assistance model: an anomaly heat map and a cargo map over an IDK image.

    model = XrayAssistModel(ModelRegistry())
    result = model.assess(pixels)        # 2-D uint8 / uint16 / float array, any size

The image is brought to transmission (air = 1, from a high percentile of the image, so 8- and
16-bit scanners alike), area-downscaled to the manifest's input height (any width: the net is
fully convolutional; very long images run in overlapping tiles), and turned into attenuation
`-ln(t)`. The net answers per cell of `stride` input pixels: the probability of each anomaly
kind, the load's own attenuation (vehicle structure removed) and whether the cell lies inside
the loadable bay. `assess` turns that into regions in image pixels and a few load figures
(fill of the bay, the mass the attenuation implies). Blocking (onnxruntime, OpenCV): call it
from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from media_pipeline.vision.registry import LoadedModel, ManifestError, ModelRegistry, VisionModel

TILE = 1536  # input pixels per tile along the width; tiles overlap by OVERLAP
OVERLAP = 128


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    w: int
    h: int
    score: float
    kind: str


@dataclass(frozen=True)
class LoadFigures:
    fill: float  # share of the bay's length that holds cargo, 0..1 (nan: no bay found)
    mass_kg: float  # what the load's attenuation implies, with the manifest's calibration
    bay_fraction: float  # share of the image the bay covers
    mean_attenuation: float  # plain image statistic: mean -ln(t) inside the bay
    # what kind of export the image is (`export_kind`): only "raw" supports the mass estimate
    export: str = "raw"
    # the scanner's own pixel pitch (and, on raw exports, its air/dark levels) were used
    calibrated: bool = False


@dataclass(frozen=True)
class ScannerCalibration:
    """A scanner's measured geometry and detector levels (raw units). Without it the image is
    read with the generator's assumptions: square pixels, the width spanning the manifest's
    `scan_length_m`, air from the image's own bright percentile, dark = 0."""

    pitch_x_mm: float  # along the vehicle
    pitch_y_mm: float  # across it (detector rows)
    air_level: float
    dark_level: float


@dataclass(frozen=True)
class XrayAssessment:
    regions: list[Region]
    figures: LoadFigures
    heat: np.ndarray  # [kinds, h, w] probabilities per cell, for viewers and debugging


@dataclass(frozen=True)
class Prepared:
    x: np.ndarray  # [1, 1, H, Wp] float32 model input
    width: int  # original image size
    height: int
    valid_w: int  # input width before padding to the stride


def to_gray(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 3:
        arr = arr[..., :3].mean(axis=2).astype(np.float32) if arr.shape[2] >= 3 else arr[..., 0]
    if arr.ndim != 2 or arr.shape[0] < 8 or arr.shape[1] < 8:
        raise ValueError(f"expected a 2-D image of at least 8x8 pixels, got {arr.shape}")
    return arr


EXPORT_KINDS = ("raw", "display", "inverted")
BORDER = 0.04  # share of the rows at the top and bottom that show air around the vehicle


def export_kind(gray: np.ndarray) -> str:
    """What the scanner's operator exported: `raw` (linear transmission, more than 8 bits),
    `display` (an 8-bit copy through the viewer's window / LUT: transmission is no longer
    linear, so attenuation and mass are wrong by an unknown curve) or `inverted` (dense shown
    bright: the air around the vehicle, the top and bottom rows, is the darkest part).

    Raw exports are 16-bit: values above 255 prove more than 8 bits. An image whose border
    rows sit in the dark half of its range has air dark, so it is inverted."""
    arr = np.asarray(gray, np.float32)
    rows = max(1, int(arr.shape[0] * BORDER))
    step = max(1, int(np.sqrt(arr.size / 250_000)))
    sample = arr[::step, ::step]
    lo, hi = (float(v) for v in np.percentile(sample, (1, 99)))
    border = float(np.median(np.concatenate([arr[:rows:step, ::step], arr[-rows::step, ::step]])))
    if hi > lo and border < (lo + hi) / 2:
        return "inverted"
    return "raw" if float(sample.max()) > 255.5 else "display"


def air_level(gray: np.ndarray, percentile: float = 99.5) -> float:
    """The detector's reading with nothing in the beam, from a strided sample of the image."""
    step = max(1, int(np.sqrt(gray.size / 250_000)))
    level = float(np.percentile(gray[::step, ::step], percentile))
    return level if level > 0 else 1.0


def prepare(image: np.ndarray, height: int, stride: int, scale: float,
            size: tuple[int, int] | None = None,
            levels: tuple[float, float] | None = None) -> Prepared:
    """Model input of one image: transmission, area-downscaled, attenuation, padded.

    `size` (width, height) is the original's when `image` is already box-reduced from it
    (a worker never holds a full-size float copy of a large scan): regions come out in the
    original's pixels. `levels` (air, dark) are the scanner's calibrated detector readings;
    without them air comes from the image and dark is 0."""
    gray = to_gray(image)
    w, h = size if size is not None else (gray.shape[1], gray.shape[0])
    air, dark = levels if levels is not None else (air_level(gray), 0.0)
    width = max(stride, round(w * height / h))
    if gray.dtype not in (np.uint8, np.uint16, np.float32):
        gray = gray.astype(np.float32)
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    trans = np.clip((small - dark) / max(air - dark, 1e-6), 1e-3, 1.0)
    atten = -np.log(trans) * scale
    padded_w = -(-width // stride) * stride
    x = np.zeros((1, 1, height, padded_w), np.float32)
    x[0, 0, :, :width] = atten
    return Prepared(x=x, width=w, height=h, valid_w=width)


# A void is goods missing from a stack: the image itself must show less attenuation there
# than in the load around it. The net's heat alone fired on plain homogeneous loads of an
# independent generator; the load's own statistics decide (measured by bench/vision.py).
VOID_RING_CELLS = 2
VOID_MIN_CONTRAST = 0.06  # -ln(t) units, absolute, below the ring's mean
VOID_MIN_RELATIVE = 0.15  # and this share of the ring's mean attenuation


def _cell_attenuation(p: Prepared, stride: int, scale: float, rows: int, cols: int) -> np.ndarray:
    """The model input's attenuation, -ln(t), averaged per output cell."""
    x = p.x[0, 0, : rows * stride, : cols * stride] / scale
    return x.reshape(rows, stride, cols, stride).mean(axis=(1, 3))


def void_contrast(att: np.ndarray, region: np.ndarray, bay: np.ndarray) -> tuple[float, float]:
    """(absolute, relative) drop of attenuation inside `region` against the ring of cells
    around it that lie in the bay (the whole ring when the bay map misses it)."""
    grown = cv2.dilate(region.astype(np.uint8), np.ones((2 * VOID_RING_CELLS + 1,) * 2, np.uint8))
    ring = (grown > 0) & ~region
    if (ring & bay).sum() >= 3:
        ring = ring & bay
    if ring.sum() == 0:
        return 0.0, 0.0
    around = float(att[ring].mean())
    drop = around - float(att[region].mean())
    return drop, drop / max(around, 1e-6)


def _void_stands_out(att: np.ndarray, region: np.ndarray, bay: np.ndarray) -> bool:
    drop, rel = void_contrast(att, region, bay)
    return drop >= VOID_MIN_CONTRAST and rel >= VOID_MIN_RELATIVE


def _overlap(a: Region, b: Region) -> float:
    """Intersection over the smaller area: 1 when one region lies inside the other."""
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0, w) * max(0, h) / max(1, min(a.w * a.h, b.w * b.h))


def one_kind_per_place(regions: list[Region], overlap: float = 0.5) -> list[Region]:
    """Where regions of different kinds cover the same place, the surest kind speaks for it
    (a dense block also looks a little like an organic lump, and the reverse)."""
    kept: list[Region] = []
    for r in sorted(regions, key=lambda r: -r.score):
        if all(k.kind == r.kind or _overlap(k, r) < overlap for k in kept):
            kept.append(r)
    return kept


def tiles(width: int, tile: int = TILE, overlap: int = OVERLAP) -> list[tuple[int, int, int, int]]:
    """(start, end, keep_from, keep_to) in input pixels: overlapping windows, each keeping its
    middle so no cell is judged at a tile's edge when a neighbour saw it whole."""
    if width <= tile:
        return [(0, width, 0, width)]
    out, start = [], 0
    while True:
        end = min(width, start + tile)
        keep_from = 0 if start == 0 else start + overlap // 2
        keep_to = width if end == width else end - overlap // 2
        out.append((start, end, keep_from, keep_to))
        if end == width:
            return out
        start = end - overlap


class XrayAssistModel(VisionModel[XrayAssessment]):
    """`assess(image)` -> regions (image pixels, with kind and score) and load figures."""

    model_name = "xray_assist"

    def __init__(self, registry: ModelRegistry, name: str | None = None) -> None:
        super().__init__(registry, name)
        self.kinds: list[str] = []
        self.height = 192
        self.stride = 8
        self.scale = 1.0
        self.threshold = 0.5
        self.min_cells = 1  # a region smaller than this many cells needs `lone_cell` to count
        self.lone_cell = 0.0
        self.calibration: dict[str, float] = {}

    def _configure(self, manifest: dict[str, Any]) -> None:
        try:
            self.kinds = list(manifest["labels"])
            spec = manifest["input"]
            self.height, self.stride = int(spec["height"]), int(manifest["output"]["stride"])
            self.scale = float(spec.get("scale", 1.0))
            self.threshold = float(manifest["thresholds"]["anomaly"])
            self.min_cells = int(manifest["output"].get("min_cells", 1))
            self.lone_cell = float(manifest["output"].get("lone_cell_score", 0.0))
            self.calibration = {k: float(v) for k, v in manifest["calibration"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"{self.name}: manifest lacks X-ray fields ({exc})") from exc

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.load().manifest["thresholds"].items()}

    def assess(self, image: np.ndarray, size: tuple[int, int] | None = None,
               calibration: ScannerCalibration | None = None) -> XrayAssessment:
        """`image` whole, or box-reduced from an original of `size` (width, height).

        With the scanner's `calibration` the mass uses its pixel pitch both ways, and a raw
        export its air and dark levels (a display or inverted copy's values are no longer the
        detector's, so the image's own air level stands in)."""
        model = self.load()
        gray = to_gray(image)
        kind = export_kind(gray)
        if kind == "inverted":  # dense shown bright: turn it back, air bright again
            gray = float(np.max(gray)) - gray.astype(np.float32)
        levels = None
        if calibration is not None and kind == "raw":
            levels = (calibration.air_level, calibration.dark_level)
        prepared = prepare(gray, self.height, self.stride, self.scale, size, levels)
        heat, contents, bay = self._predict_tiled(model, prepared.x)
        pitch = None if calibration is None else (calibration.pitch_x_mm / 10.0,
                                                  calibration.pitch_y_mm / 10.0)
        out = self._postprocess_maps(prepared, heat, contents, bay, pitch)
        figures = replace(out.figures, export=kind, calibrated=calibration is not None)
        return XrayAssessment(out.regions, figures, out.heat)

    def run(self, frames: np.ndarray) -> XrayAssessment:  # the base class's name for it
        return self.assess(frames)

    def _preprocess(self, frames: np.ndarray) -> np.ndarray:
        # One scan per call: the batch the base class hands over holds a single image.
        return prepare(frames[0], self.height, self.stride, self.scale).x

    def _postprocess(self, outputs: list[list[np.ndarray]], frames: np.ndarray) -> XrayAssessment:
        """The base class's untiled path (one image that fits one tile): the same maps the
        tiled path assembles, read straight from the single run."""
        prepared = prepare(frames[0], self.height, self.stride, self.scale)
        anomaly, contents, bay = outputs[0][:3]
        return self._postprocess_maps(prepared, anomaly[0], contents[0, 0], bay[0, 0])

    def _predict_tiled(
        self, model: LoadedModel, x: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.stride
        cells_h, cells_w = x.shape[2] // s, x.shape[3] // s
        heat = np.zeros((len(self.kinds), cells_h, cells_w), np.float32)
        contents = np.zeros((cells_h, cells_w), np.float32)
        bay = np.zeros((cells_h, cells_w), np.float32)
        name = model.session.get_inputs()[0].name
        for start, end, keep_from, keep_to in tiles(x.shape[3]):
            a, c, b = model.session.run(["anomaly", "contents", "bay"],
                                        {name: np.ascontiguousarray(x[:, :, :, start:end])})
            k0, k1 = (keep_from - start) // s, (keep_to - start) // s
            heat[:, :, keep_from // s : keep_to // s] = a[0, :, :, k0:k1]
            contents[:, keep_from // s : keep_to // s] = c[0, 0, :, k0:k1]
            bay[:, keep_from // s : keep_to // s] = b[0, 0, :, k0:k1]
        return heat, contents, bay

    def _postprocess_maps(
        self, p: Prepared, heat: np.ndarray, contents: np.ndarray, bay: np.ndarray,
        pitch_cm: tuple[float, float] | None = None,
    ) -> XrayAssessment:
        valid = -(-p.valid_w // self.stride)
        heat, contents, bay = heat[:, :, :valid], contents[:, :valid], bay[:, :valid]
        # one cell in original image pixels
        cell_x = self.stride * p.width / p.valid_w
        cell_y = self.stride * p.height / self.height
        regions = []
        att = _cell_attenuation(p, self.stride, self.scale, heat.shape[1], heat.shape[2])
        for k, kind in enumerate(self.kinds):
            mask = (heat[k] >= self.threshold).astype(np.uint8)
            n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
            for i in range(1, n):
                cx, cy, cw, ch, area = (int(v) for v in stats[i, :5])
                score = float(heat[k][labels == i].max())
                if area < self.min_cells and score < self.lone_cell:
                    continue  # a speck of one cell is noise unless the model is sure
                if kind == "void" and not _void_stands_out(att, labels == i, bay >= 0.5):
                    continue  # no goods missing in the image itself: a homogeneous load
                x0, y0 = int(cx * cell_x), int(cy * cell_y)
                x1 = min(p.width, round((cx + cw) * cell_x))
                y1 = min(p.height, round((cy + ch) * cell_y))
                regions.append(Region(x0, y0, max(1, x1 - x0), max(1, y1 - y0), round(score, 3), kind))
        regions.sort(key=lambda r: -r.score)
        return XrayAssessment(one_kind_per_place(regions),
                              self._figures(p, contents, bay, cell_x, cell_y, pitch_cm), heat)

    def _figures(self, p: Prepared, contents: np.ndarray, bay: np.ndarray, cell_x: float,
                 cell_y: float, pitch_cm: tuple[float, float] | None = None) -> LoadFigures:
        load = np.clip(contents, 0.0, None)
        inside = bay >= 0.5
        columns = inside.any(axis=0)
        if columns.sum() == 0:
            fill, mean_att = float("nan"), 0.0
        else:
            # a bay column holds cargo when its cells inside the bay carry some attenuation
            per_col = np.where(inside, load, 0.0).sum(axis=0) / np.maximum(inside.sum(axis=0), 1)
            fill = float((per_col[columns] >= self.calibration.get("cargo_min", 0.1)).mean())
            s = self.stride
            x = p.x[0, 0, : inside.shape[0] * s, : inside.shape[1] * s] / self.scale
            cells = x.reshape(inside.shape[0], s, inside.shape[1], s).mean(axis=(1, 3))
            mean_att = float(cells[inside].mean())
        if pitch_cm is None:  # uncalibrated: square pixels, the width spans the scan length
            square = self.calibration.get("scan_length_m", 15.0) * 100.0 / p.width
            pitch_cm = (square, square)
        mu = self.calibration.get("mass_attenuation_cm2_per_g", 0.035)
        mass = float(load.sum()) * cell_x * cell_y * pitch_cm[0] * pitch_cm[1] / mu / 1000.0
        return LoadFigures(fill=round(fill, 3) if fill == fill else fill, mass_kg=round(mass, 1),
                           bay_fraction=round(float(inside.mean()), 3),
                           mean_attenuation=round(mean_att, 3))
