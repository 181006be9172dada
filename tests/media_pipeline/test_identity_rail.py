"""A rail exterior take end to end: a rendered wagon side encoded as H.264, validated with the
real OCR; the declared wagon number passes, another valid one fails, and the plate of a rail
declaration is not asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from msgspec.structs import replace

from contract.numbers import is_valid_wagon
from contract.report import ValidationReport
from media_pipeline.checks.identity import RapidOcrReader
from media_pipeline.context import DeclarationFacts, Models
from media_pipeline.validate import validate
from tests import identity_images as images
from tests import media

WAGON = "74706177"


def _take(tmp: Path) -> Path:
    rng = np.random.default_rng(8)
    side = images.wagon_side(WAGON, 34, rng, dirt=0.3, tilt=0.1)
    frames = []
    for i in range(30):  # 6 s at 5 fps, the camera drifting a few pixels
        dx = int(4 * np.sin(i / 5))
        frames.append(np.roll(side, dx, axis=1))
    return media.encode(frames, tmp / "wagon.mp4", fps=5, size=(side.shape[1], side.shape[0]))


def _validate(path: Path, wagons: tuple[str, ...]) -> ValidationReport:
    ctx = media.context(
        phase="exterior", duration=6.0, size=path.stat().st_size, min_seconds=3.0,
        min_seconds_per_place=0.0,
    )  # fmt: skip
    decl = DeclarationFacts(places=1, wagons=wagons, vehicle_plate="123ABC02", post_kind="rail")
    return validate(str(path), replace(ctx, declaration=decl), Models(ocr=RapidOcrReader()))


def test_declared_wagon_read_with_its_check_digit_passes(tmp_path: Path) -> None:
    assert is_valid_wagon(WAGON)
    check = _validate(_take(tmp_path), (WAGON,)).check("identity")
    assert check is not None and check.verdict == "pass", check
    assert check.code == "identity_matched" and check.params["matched"] == 1


def test_another_valid_wagon_declared_fails(tmp_path: Path) -> None:
    other = "29207156"  # valid check digit, not the wagon filmed
    assert is_valid_wagon(other)
    check = _validate(_take(tmp_path), (other,)).check("identity")
    assert check is not None and check.verdict == "fail" and check.code == "wagon_not_read"
    assert check.params["wagons_not_declared"] == WAGON
