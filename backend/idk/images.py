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

import msgspec
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


def _bit_depth(im: Image.Image, data: bytes) -> int:
    if im.format == "PNG" and len(data) > 24:
        return int(data[24])  # IHDR bit depth: the file's own word, whatever mode Pillow picked
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as im:
                kind = ACCEPTED.get(im.format or "")
                if kind is None:
                    raise UnsupportedMedia(
                        f"{im.format} images are not accepted; send PNG, TIFF or JPEG"
                    )
                width, height = im.size
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise UnprocessableImage(f"image size {width}x{height} is out of range")
                bits = _bit_depth(im, data)
                mode = im.mode
                im.load()
        except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
            raise UnprocessableImage(f"not a decodable image: {exc}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Pillow reports truncated/corrupt data as OSError, bad headers as SyntaxError.
            raise UnprocessableImage(f"the image is corrupt: {exc}") from None
    return ImageInfo(
        content_type=kind.content_type, ext=kind.ext, width=width, height=height, mode=mode,
        bit_depth=bits, size=len(data), sha256=sha256_hex(data),
    )


async def inspect_image_async(data: bytes) -> ImageInfo:
    return await asyncio.to_thread(inspect_image, data)
