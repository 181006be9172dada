"""Numbers on a portal camera's image: the wagon number (8 digits, check digit) and container
numbers (ISO 6346) read by the OCR the evidence checks use.

Only numbers whose check digit holds are offered as the camera's read; what the OCR saw is
kept beside them, so a misread is visible rather than silently dropped. Blocking (OCR): call
it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from media_pipeline.checks.identity_read import containers_read, wagons_read
from media_pipeline.context import TextReader

MAX_SIDE_PX = 2000  # a camera still larger than this is scaled down before the OCR


@dataclass(frozen=True)
class CameraNumbers:
    wagons: tuple[str, ...]  # 8-digit numbers whose check digit holds, in reading order
    containers: tuple[str, ...]  # ISO 6346 numbers whose check digit holds
    misread_wagons: tuple[str, ...]  # 8 digits read, check digit wrong
    lines: tuple[str, ...]  # what the OCR read, for the record

    @property
    def wagon(self) -> str | None:
        """The camera's wagon number: the one valid number, or none when it read several."""
        return self.wagons[0] if len(self.wagons) == 1 else None


def decode_rgb(image: bytes) -> np.ndarray:
    """The image as RGB pixels, scaled down to `MAX_SIDE_PX`; ValueError if it is not one."""
    try:
        with Image.open(io.BytesIO(image)) as im:
            im.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
            return np.asarray(im.convert("RGB"))
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc


def numbers_in_lines(lines: list[str]) -> CameraNumbers:
    wagons = wagons_read(lines)
    return CameraNumbers(
        wagons=tuple(n for n, ok in wagons if ok),
        containers=tuple(dict.fromkeys(c.number for c in containers_read(lines) if c.valid)),
        misread_wagons=tuple(n for n, ok in wagons if not ok),
        lines=tuple(lines),
    )


def read_camera_image(reader: TextReader, image: bytes) -> CameraNumbers:
    return numbers_in_lines(reader.read(decode_rgb(image)))
