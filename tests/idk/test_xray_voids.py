"""The void detector stays quiet on plain homogeneous loads of the independent generator
(models/eval/xray_b.py, never used in training) and still finds what is hidden in raw exports.

Voids used to fire on every plain load exported inverted (0.87 and up) because the inverted
copy was read as raw; exports are now told apart and turned back, and a void must also show in
the image itself: less attenuation than the load around it (`void_contrast`)."""

from __future__ import annotations

import numpy as np
import pytest

from media_pipeline.vision.registry import ModelRegistry
from media_pipeline.vision.xray import (
    VOID_MIN_CONTRAST,
    XrayAssistModel,
    _void_stands_out,
    export_kind,
    void_contrast,
)
from models.eval.xray_b import export, scan


@pytest.fixture(scope="module")
def model() -> XrayAssistModel:
    return XrayAssistModel(ModelRegistry())


def _hit(r: object, box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    return r.x < x + w and x < r.x + r.w and r.y < y + h and y < r.y + r.h  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["raw16", "inverted", "lut8"])
def test_no_voids_on_plain_loads_of_the_independent_generator(model: XrayAssistModel,
                                                              kind: str) -> None:
    plain = [scan(31000 + i, concealed=False, height=(300, 450, 600)[i % 3]) for i in range(12)]
    with_void = 0
    for s in plain:
        pixels = export(s.transmission, kind)
        told = export_kind(pixels)
        assert told == {"raw16": "raw", "lut8": "display", "inverted": "inverted"}[kind]
        regions = model.assess(pixels).regions
        with_void += any(r.kind == "void" for r in regions)
    assert with_void <= 1, f"{with_void}/12 plain {kind} loads got a void"


def test_concealments_in_raw_exports_are_still_found(model: XrayAssistModel) -> None:
    hidden = [scan(32000 + i, concealed=True, height=400) for i in range(10)]
    found = sum(any(_hit(r, s.concealed) for r in model.assess(export(s.transmission, "raw16")).regions
                    if r.kind != "void") for s in hidden if s.concealed is not None)
    assert found >= 8, f"recall {found}/10 on raw exports"


def test_a_void_must_show_less_attenuation_than_the_load_around_it() -> None:
    rng = np.random.default_rng(5)
    att = 0.8 + rng.normal(0, 0.01, (24, 60)).astype(np.float32)  # a homogeneous load
    bay = np.ones_like(att, bool)
    region = np.zeros_like(bay)
    region[10:14, 20:26] = True
    drop, _ = void_contrast(att, region, bay)
    assert abs(drop) < VOID_MIN_CONTRAST and not _void_stands_out(att, region, bay)
    att[region] -= 0.4  # goods missing there
    drop, rel = void_contrast(att, region, bay)
    assert drop == pytest.approx(0.4, abs=0.02) and rel == pytest.approx(0.5, abs=0.03)
    assert _void_stands_out(att, region, bay)
