"""Decode and validate an IDK scan image: PNG (8/16-bit), TIFF, JPEG.

The type is sniffed from the bytes, never taken from the client's Content-Type: a scanner
that labels a TIFF `application/octet-stream` is still sending a TIFF, and a text file
labelled `image/png` is still text. Decoding is blocking; call `inspect_image_async`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import msgspec
import numpy as np
from PIL import Image, UnidentifiedImageError

from backend.errors import UnprocessableImage, UnsupportedMedia

# Pillow's own refusal threshold (2 × its warning limit); an X-ray of a 25 m wagon at
# 5 mm/pixel is ~5000 × 2000, far below it.
MAX_PIXELS = 2 * 89_478_485


class ImageKind(msgspec.Struct, frozen=True):
    format: str  # Pillow's name
    content_type: str
    ext: str


ACCEPTED: dict[str, ImageKind] = {
    "PNG": ImageKind("PNG", "image/png", "png"),
    "TIFF": ImageKind("TIFF", "image/tiff", "tiff"),
    "JPEG": ImageKind("JPEG", "image/jpeg", "jpg"),
}

# Bits per channel by Pillow mode, where the format gives no better answer.
_MODE_BITS = {"1": 1, "L": 8, "P": 8, "LA": 8, "RGB": 8, "RGBA": 8, "CMYK": 8, "YCbCr": 8,
              "I;16": 16, "I;16B": 16, "I;16L": 16, "I;16N": 16, "I": 32, "F": 32}


class ImageInfo(msgspec.Struct, frozen=True):
    content_type: str
    ext: str
    width: int
    height: int
    mode: str
    bit_depth: int
    size: int
    sha256: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bit_depth(im: Image.Image, head: bytes) -> int:
    if im.format == "PNG" and len(head) > 24:
        return int(head[24])  # IHDR bit depth: the file's own word, whatever mode Pillow picked
    if im.format == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258)
        if isinstance(bits, tuple) and bits:
            return int(bits[0])
        if isinstance(bits, int):
            return bits
    return _MODE_BITS.get(im.mode, 8)


def inspect_image(data: bytes) -> ImageInfo:
    """Fully decode `data` (a truncated or corrupt file fails here, not in a viewer later)."""
    if not data:
        raise UnprocessableImage("the image is empty")
    return _inspect(io.BytesIO(data), data[:32], len(data), sha256_hex(data))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inspect_image_file(path: Path, sha256: str | None = None) -> ImageInfo:
    """The same checks for an image on disk (a streamed upload): never read whole into memory
    as bytes; the decode itself holds one copy of the pixels, briefly."""
    size = path.stat().st_size
    if size == 0:
        raise UnprocessableImage("the image is empty")
    with path.open("rb") as fh:
        head = fh.read(32)
    return _inspect(path, head, size, sha256 or file_sha256(path))


def _inspect(source: Any, head: bytes, size: int, sha256: str) -> ImageInfo:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(source) as im:
                kind = ACCEPTED.get(im.format or "")
                if kind is None:
                    raise UnsupportedMedia(
                        f"{im.format} images are not accepted; send PNG, TIFF or JPEG"
                    )
                width, height = im.size
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise UnprocessableImage(f"image size {width}x{height} is out of range")
                bits = _bit_depth(im, head)
                mode = im.mode
                im.load()
        except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
            raise UnprocessableImage(f"not a decodable image: {exc}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Pillow reports truncated/corrupt data as OSError, bad headers as SyntaxError.
            raise UnprocessableImage(f"the image is corrupt: {exc}") from None
    return ImageInfo(
        content_type=kind.content_type, ext=kind.ext, width=width, height=height, mode=mode,
        bit_depth=bits, size=size, sha256=sha256,
    )


@contextmanager
def open_scan(path: Path) -> Iterator[Image.Image]:
    """The stored image decoded once by Pillow, single channel in its own depth (colour JPEGs
    become grey): the one full copy of the pixels anything here holds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as im:
            im.load()
            yield im if im.mode in ("L", "I;16", "I;16L", "I;16B", "I", "F") else im.convert("L")


def reduce_pixels(im: Image.Image, factor: int) -> np.ndarray:
    """Box-average `factor` x `factor` blocks into float32, a strip of rows at a time, so no
    second full-size array ever exists (edge rows/columns short of a block are dropped)."""
    w, h = im.size
    factor = max(1, min(factor, w, h))
    rows_out, cols = h // factor, w // factor
    out = np.empty((rows_out, cols), np.float32)
    per_strip = max(1, (4 << 20) // max(1, w * 4 * factor))
    for i0 in range(0, rows_out, per_strip):
        n = min(per_strip, rows_out - i0)
        strip = np.asarray(im.crop((0, i0 * factor, cols * factor, (i0 + n) * factor)))
        if factor == 1:
            out[i0 : i0 + n] = strip
        else:  # an integer INTER_AREA is the exact block mean, and fast
            out[i0 : i0 + n] = cv2.resize(strip.astype(np.float32), (cols, n),
                                          interpolation=cv2.INTER_AREA)
    return out


def read_pixels(path: Path) -> np.ndarray:
    """The whole image as a numpy array (tests, tools): two copies at a moment, Pillow's and
    numpy's; the worker and the conclusion use `open_scan` + `reduce_pixels` instead."""
    with open_scan(path) as im:
        arr = np.asarray(im)
    return arr.astype(arr.dtype.newbyteorder("=")) if not arr.dtype.isnative else arr


async def inspect_image_async(data: bytes) -> ImageInfo:
    return await asyncio.to_thread(inspect_image, data)


async def inspect_image_file_async(path: Path, sha256: str | None = None) -> ImageInfo:
    return await asyncio.to_thread(inspect_image_file, path, sha256)
