"""The portal camera's OCR: a wagon number and a container number drawn on a generated image
are read by the real OCR (rapidocr-onnxruntime) and kept only when their check digits hold."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from contract.numbers import wagon_check_digit
from media_pipeline.checks.identity import RapidOcrReader
from media_pipeline.portal_ocr import numbers_in_lines, read_camera_image

FONT = Path(__file__).resolve().parents[2] / "backend" / "idk" / "fonts" / "DejaVuSans-Bold.ttf"
WAGON = "5812345" + str(wagon_check_digit("5812345"))


def camera_png(*lines: str) -> bytes:
    im = Image.new("RGB", (900, 120 * len(lines) + 40), (70, 80, 90))  # a wagon's dark side
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(str(FONT), 72)
    for i, text in enumerate(lines):
        draw.text((40, 30 + 120 * i), text, font=font, fill=(235, 235, 235))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def test_the_camera_image_gives_the_wagon_and_container_numbers() -> None:
    got = read_camera_image(RapidOcrReader(), camera_png(WAGON, "CSQU 305438 3"))
    assert got.wagon == WAGON, got.lines
    assert got.containers == ("CSQU3054383",), got.lines


def test_a_misread_check_digit_is_kept_apart() -> None:
    bad = WAGON[:7] + str((int(WAGON[7]) + 1) % 10)
    got = numbers_in_lines([bad])
    assert got.wagon is None and got.wagons == () and got.misread_wagons == (bad,)
    assert numbers_in_lines(["MSKU1234560"]).containers == ()  # fails ISO 6346
    two = numbers_in_lines([WAGON, "5812346" + str(wagon_check_digit("5812346"))])
    assert two.wagon is None and len(two.wagons) == 2  # two numbers: the camera names none


def test_not_an_image_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        read_camera_image(RapidOcrReader(), b"not an image")
