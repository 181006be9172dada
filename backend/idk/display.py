"""What a browser can show of a scan: the original when it is PNG or JPEG; for TIFF (which no
browser decodes) an 8-bit PNG of the same size, windowed to the image's own range so dense
cargo stays readable. The display copy is derived, stored once beside the original, and never
replaces it; risk areas keep their pixel coordinates because the size does not change."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import asyncpg
import numpy as np
from PIL import Image

from backend.auth.actor import Actor
from backend.idk.schemas import StoredImage
from backend.idk.service import open_image
from backend.storage.base import ObjectExists, ObjectStore

BROWSER_TYPES = frozenset({"image/png", "image/jpeg"})


def to_display_png(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            arr = np.asarray(im, dtype=np.float32)
            lo, hi = np.percentile(arr, (0.5, 99.5))
            scaled = np.clip((arr - lo) / max(float(hi - lo), 1.0) * 255.0, 0, 255)
            out = Image.fromarray(scaled.astype(np.uint8), mode="L")
        elif im.mode in ("L", "RGB"):
            out = im.copy()
        else:
            out = im.convert("RGB")
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=3)
    return buf.getvalue()


async def open_display(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, scan_id: str
) -> tuple[StoredImage, AsyncIterator[bytes]]:
    image, chunks = await open_image(conn, store, actor, scan_id)
    if image.content_type in BROWSER_TYPES:
        return image, chunks
    await chunks.aclose()  # type: ignore[attr-defined]
    key = f"display/idk/{scan_id}/{image.sha256}.png"
    info = await store.stat(key)
    if info is None:
        original = await store.get_bytes(image.key)
        png = await asyncio.to_thread(to_display_png, original)
        try:
            info = await store.put_bytes(key, png, "image/png")
        except ObjectExists:  # another request made it first: same bytes
            info = await store.stat(key)
    assert info is not None
    shown = StoredImage(key=key, content_type="image/png", size=info.size, sha256=info.sha256,
                        image_id=image.image_id)
    return shown, store.read_range(key, 0, info.size - 1)
