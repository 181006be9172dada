"""Helpers for the post head's, auditor's and IDK operator's screens: signing in to a role's home,
counting overlay colours on a canvas, and evidence made the way the tablet and the worker make
it (a signed recording of generated media, validated by the worker in drain mode)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from backend.recordings.manifest import chain_head
from backend.storage import open_store
from media_pipeline.ffmpeg import ffmpeg_path
from media_pipeline.worker import run_worker
from tests import media
from tests.browser.conftest import PASSWORD, wait_js
from tests.recordings.kit import Tablet, new_client_id, signed_registration, upload_chunks

HOMES = {"post_head": "#/board", "auditor": "#/search", "idk_operator": "#/idk"}


async def sign_in_as(page: Any, login: str, home: str) -> list[str]:
    """Signs in and waits for the role's home screen; returns the page's JS errors as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto("/")
    await page.wait_for_selector("#login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await wait_js(page, f"location.hash.startsWith({home!r})", timeout=15000)
    await wait_js(page, "navigator.serviceWorker.controller !== null", timeout=15000)
    return errors


# Counts pixels of a colour family on a canvas (device pixels): overlays are saturated colours on
# a grey X-ray image or a pale map, so a hue test is enough.
COUNT_JS = """([selector, family]) => {
  const c = document.querySelector(selector);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const test = {
    red: (r, g, b) => r > 200 && g < 90 && b < 90,
    cyan: (r, g, b) => r < 80 && g > 170 && b > 190,
    orange: (r, g, b) => r > 200 && g > 90 && g < 160 && b < 60,
    fence: (r, g, b) => r < 40 && g > 40 && g < 90 && b > 120,
  }[family];
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (test(d[i], d[i + 1], d[i + 2])) n++;
  return n;
}"""


async def count_pixels(page: Any, selector: str, family: str) -> int:
    return int(await page.evaluate(COUNT_JS, [selector, family]))


def manifest_for_media(device_id: str, data: bytes, duration: float, centre: tuple[float, float],
                       markers: list[dict[str, Any]], chunk: int = 256 * 1024) -> tuple[dict[str, Any], list[bytes]]:
    """A tablet's manifest for real media: chunk chain, a track wandering near `centre`, markers."""
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    digests = [hashlib.sha256(c).hexdigest() for c in chunks]
    end = datetime.now(UTC) - timedelta(seconds=5)
    lat, lon = centre
    track = [{"t": float(t), "lat": lat + 0.0012 * (t / duration), "lon": lon + 0.0009 * ((t % 10) / 10),
              "acc": 6.0 + t % 3} for t in range(0, int(duration) + 1, 3)]
    return {
        "device_id": device_id, "mime": "video/mp4", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "recorded_from": (end - timedelta(seconds=duration)).isoformat(),
        "recorded_to": end.isoformat(),
        "chunks": [{"i": i, "size": len(c), "sha256": d} for i, (c, d) in enumerate(zip(chunks, digests))],
        "chain_head": chain_head(digests),
        "track": track,
        "markers": markers,
    }, chunks


@functools.cache
def constant_bitrate(name: str, bitrate: str = "3M") -> Path:
    """The named test recording re-encoded at a constant bitrate (x264 filler data): the same
    30 s, but ~11 MB, so a player seeking near the end must ask for a new byte range instead
    of finding it already read with the first one."""
    out = Path(tempfile.mkdtemp(prefix="dosmotr-cbr-")) / f"cbr-{name}"
    subprocess.run(
        [ffmpeg_path(), "-nostdin", "-loglevel", "error", "-y", "-i", str(media.recording(name)),
         "-c:v", "libx264", "-preset", "ultrafast", "-b:v", bitrate, "-minrate", bitrate, "-maxrate", bitrate,
         "-bufsize", "1M", "-x264-params", "nal-hrd=cbr", "-movflags", "+faststart", str(out)],
        check=True, timeout=120,
    )
    return out


async def register_recording(server: Any, tokens: dict[str, str], inspector: str, head: str,
                             inspection_id: str, phase: str, name: str, centre: tuple[float, float],
                             markers: list[dict[str, Any]], big: bool = False) -> dict[str, Any]:
    """Registers the tablet (approved by the head), uploads generated media by tus and registers
    the signed manifest, as the outbox does."""
    data = (constant_bitrate(name) if big else Path(media.recording(name))).read_bytes()
    tablet = Tablet()
    ins = {"Authorization": f"Bearer {tokens[inspector]}"}
    hd = {"Authorization": f"Bearer {tokens[head]}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        await tablet.register(client, ins, hd)
        manifest, chunks = manifest_for_media(str(tablet.device_id), data, 30.0, centre, markers)
        cid = new_client_id()
        upload_id = await upload_chunks(client, ins, inspection_id, phase, cid, chunks)
        resp = await client.post(f"/api/inspections/{inspection_id}/recordings",
                                 json=signed_registration(tablet, cid, phase, upload_id, manifest), headers=ins)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())


async def drain_worker(db_url: str, data_dir: Path) -> None:
    """The media worker over the server's own object store, until the queue is empty."""
    store = open_store(str(data_dir / "objects"), data_dir)
    await asyncio.wait_for(run_worker(db_url, store, None, data_dir / "work", concurrency=1, drain=True), 150)
