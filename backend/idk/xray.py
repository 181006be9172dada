"""Synthetic X-ray (IDK) images of a rail wagon or a container, for the demo seed and tests.

A line-scan X-ray shows the vehicle from the side: what the beam crosses attenuates it, so
the picture is a transmission map `I = I0 · exp(-Σ μ·t)`: air is bright, steel and dense cargo
dark. We build an attenuation map from parts (body walls seen face-on, end walls, floor and
roof seen edge-on, bogies and wheels, corrugation of a container: `xray_parts`), add cargo by
packaging type and goods density, optionally voids, a hidden dense block and organic masses
(`xray_cargo`), then detector effects (row gain, photon noise, slight blur). Everything is drawn
from one `numpy.random.Generator` seeded by the caller, so the same spec gives the same bytes.

Physical scale (for the cargo mass a model should read from the image): the image's width
spans `SCAN_LENGTH_M` with square pixels, and μ/ρ is `MASS_ATTENUATION_CM2_PER_G` (MeV
linac beams attenuate most goods alike per gram). A real scanner calibrates both.
"""

from __future__ import annotations

import io
from typing import Literal

import msgspec
import numpy as np
from PIL import Image

from backend.idk import xray_cargo
from backend.idk.xray_parts import blur, body

Packaging = Literal["boxes", "bags", "barrels", "pallets", "bulk", "machinery", "empty"]
Vehicle = Literal["container", "wagon"]
PACKAGINGS: tuple[str, ...] = ("boxes", "bags", "barrels", "pallets", "bulk", "machinery", "empty")
ANOMALY_KINDS: tuple[str, ...] = ("dense_block", "void", "organic_mass")

SCAN_LENGTH_M = 15.0
MASS_ATTENUATION_CM2_PER_G = 0.035


class Box(msgspec.Struct, frozen=True):
    """A rectangle in image pixels; `kind` says what the generator put there and `contrast`
    the attenuation it adds (or, for a void, removes) on average; 0 means invisible."""

    x: int
    y: int
    w: int
    h: int
    kind: str
    contrast: float = 0.0


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
    density: float = 1.0  # goods density relative to the packaging's usual (textiles ~0.6, metal ~1.5)
    organic: int = 0  # organic masses hidden in the load


class XrayImage(msgspec.Struct, frozen=True):
    png: bytes
    width: int
    height: int
    bay: Box  # the loadable interior
    anomalies: list[Box]  # hidden blocks and voids: the ground truth for models and tests


class XrayLayers(msgspec.Struct, frozen=True):
    """A render with its ground truth: what a model should see in the image."""

    trans: np.ndarray  # transmission 0..1, float32 [H, W]
    contents: np.ndarray  # attenuation of the load and concealments only, no vehicle, [H, W]
    bay: Box
    anomalies: list[Box]


def pixel_mm(width: int) -> float:
    return SCAN_LENGTH_M * 1000.0 / max(1, width)


def mass_kg(attenuation_sum: float, width: int) -> float:
    """Mass behind a sum of attenuation over pixels of an image `width` pixels wide."""
    area_cm2 = (pixel_mm(width) / 10.0) ** 2
    return float(attenuation_sum) * area_cm2 / MASS_ATTENUATION_CM2_PER_G / 1000.0


def render_layers(spec: XraySpec) -> XrayLayers:
    if spec.width < 64 or spec.height < 32:
        raise ValueError("an X-ray image needs at least 64x32 pixels")
    rng = np.random.default_rng(spec.seed)
    atten = np.zeros((spec.height, spec.width), np.float32)
    bay = body(atten, spec, rng)
    load = xray_cargo.cargo(spec, bay, rng, atten.shape)
    extra, anomalies = xray_cargo.anomalies(spec, bay, load, rng)
    contents = np.clip(load, 0, None) + extra
    atten += contents
    trans = np.exp(-atten)
    # Detector rows differ a little in gain (line-scan streaks), photons are noisy.
    gain = 1.0 + rng.normal(0, 0.01 * spec.noise, size=(spec.height, 1)).astype(np.float32)
    trans = trans * gain
    trans = trans + rng.normal(0, 1, size=trans.shape).astype(np.float32) * (
        0.012 * spec.noise * np.sqrt(np.clip(trans, 1e-4, None))
    )
    return XrayLayers(np.clip(blur(trans), 0.0, 1.0), contents, bay, anomalies)


def render(spec: XraySpec) -> tuple[np.ndarray, Box, list[Box]]:
    """The transmission image as floats in 0..1, the bay, and the anomalies placed."""
    layers = render_layers(spec)
    return layers.trans, layers.bay, layers.anomalies


def to_pixels(trans: np.ndarray, bits: int = 16) -> np.ndarray:
    """Detector counts: 16-bit with headroom below full scale, or 8-bit."""
    if bits == 16:
        return np.round(trans * 60000).astype(np.uint16)
    return np.round(trans * 235).astype(np.uint8)


def to_png(trans: np.ndarray, bits: int = 16) -> bytes:
    pixels = to_pixels(trans, bits)
    im = Image.fromarray(pixels) if bits == 16 else Image.fromarray(pixels, mode="L")
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=6)
    return out.getvalue()


def encode(trans: np.ndarray, fmt: Literal["png", "tiff", "jpeg"], bits: int = 16) -> bytes:
    """The image in a scanner's format: PNG 8/16-bit, TIFF 16-bit (LZW), JPEG (8-bit)."""
    if fmt == "png":
        return to_png(trans, bits)
    out = io.BytesIO()
    if fmt == "tiff":
        Image.fromarray(to_pixels(trans, 16)).save(out, "TIFF", compression="tiff_lzw")
    else:
        Image.fromarray(to_pixels(trans, 8), mode="L").save(out, "JPEG", quality=92)
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
