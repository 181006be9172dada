"""Real Chromium against the real server: Debian's /usr/bin/chromium driven by Playwright, a fake
rear camera playing a y4m generated here with ffmpeg, geolocation inside the ALAKOL geofence,
and `dosmotr serve` (API + PWA) on the test's own database."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from media_pipeline.ffmpeg import ffmpeg_path
from tests.helpers import declaration_payload
from tests.recordings.server import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALAKOL_GPS = {"latitude": 46.165, "longitude": 81.629}
PASSWORD = "demo-only"
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}

# Minimum durations short enough for a test take (the demo policy wants minutes).
SHORT_POLICY = """UPDATE posts SET policy = jsonb_set(policy, '{min_seconds}',
    '{"exterior": {"fixed": 2}, "unloading": {"fixed": 2, "per_place": 0},
      "recount": {"fixed": 2}, "opening": {"fixed": 2}}'::jsonb)"""

# `make test` installs Debian's chromium first; without it these tests must fail, not pass.
assert CHROMIUM.exists(), "Debian's chromium is not installed: run `make chromium` (as root)"


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A moving test pattern the fake capture device loops: 640x360 at 15 fps, 3 s."""
    out = tmp_path_factory.mktemp("camera") / "camera.y4m"
    subprocess.run(
        [ffmpeg_path(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc2=size=640x360:rate=15", "-t", "3", "-pix_fmt", "yuv420p", str(out)],
        check=True, timeout=60,
    )
    return out


def chromium_args(fake_camera: Path) -> list[str]:
    """Headless Debian Chromium as root with the fake camera; no background network calls."""
    return [
        "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera}",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ]


@pytest_asyncio.fixture(scope="session")
async def browser(fake_camera: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=chromium_args(fake_camera)
        )
        yield chromium
        await chromium.close()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(db_url, tmp_path).start()
    yield proc
    proc.stop()


@pytest_asyncio.fixture
async def context(browser: Any, server: ServerProcess) -> AsyncIterator[Any]:
    ctx = await browser.new_context(
        base_url=server.url, viewport=LANDSCAPE, geolocation=ALAKOL_GPS,
        # background-sync is on by default in Chrome; Playwright's contexts grant it explicitly
        permissions=["geolocation", "camera", "background-sync"], locale="ru-RU",
        service_workers="allow",
    )
    yield ctx
    await ctx.close()


@dataclass
class Scene:
    """A red-corridor declaration at a post, its inspection and the inspector drawn for it."""

    server: ServerProcess
    tokens: dict[str, str]
    declaration: dict[str, Any]
    inspection_id: str
    inspector: str  # login
    post: str

    def headers(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    async def call(self, login: str, method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as client:
            return await client.request(method, path, headers=self.headers(login), **kw)

    async def approve_device(self, db: Any) -> str:
        device_id = await db.fetchval(
            "SELECT d.id FROM devices d JOIN users u ON u.id = d.registered_by WHERE u.login = $1",
            self.inspector)
        assert device_id, "the app registered no device"
        head = f"head.{self.post.lower()}"
        resp = await self.call(head, "POST", f"/api/devices/{device_id}/approve")
        assert resp.status_code == 200, resp.text
        return str(device_id)


async def make_scene(server: ServerProcess, tokens: dict[str, str], db: Any, post: str = "ALAKOL",
                     **declaration: Any) -> Scene:
    await db.execute(SHORT_POLICY)
    body = declaration_payload(post, "red", **declaration)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        resp = await client.post("/api/declarations", json=body,
                                 headers={"Authorization": f"Bearer {tokens['keden']}"})
    assert resp.status_code == 201, resp.text
    decl = resp.json()
    inspection = decl["inspection"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", inspection["inspector_id"])
    return Scene(server, tokens, decl, inspection["id"], login, post)


@pytest_asyncio.fixture
async def scene(server: ServerProcess, tokens: dict[str, str], db: Any) -> Scene:
    return await make_scene(server, tokens, db)


# --- page helpers -------------------------------------------------------------------------


async def shot(page: Any, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def wait_js(page: Any, expression: str, timeout: float = 30000) -> Any:
    """Polls a JS expression until it is truthy. Playwright's `wait_for_function` evaluates its
    predicate with eval inside the page, which the app's CSP (script-src 'self') refuses;
    `evaluate` goes through DevTools and is not subject to it."""
    deadline = asyncio.get_running_loop().time() + timeout / 1000
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        await asyncio.sleep(0.1)


async def sign_in(page: Any, login: str) -> None:
    await page.goto("/")
    await page.wait_for_selector("#login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await wait_js(page, "location.hash === '#/inspections'")
    # the service worker controls the page from here on (clients.claim)
    await wait_js(page, "navigator.serviceWorker.controller !== null", timeout=15000)


TAKES_JS = "async () => (await import('/js/db.js')).allTakes()"


async def takes(page: Any) -> list[dict[str, Any]]:
    return list(await page.evaluate(TAKES_JS))


async def wait_takes(page: Any, predicate: Any, timeout: float = 60, what: str = "") -> list[dict[str, Any]]:
    """Polls the tablet's IndexedDB until `predicate(takes)` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    current: list[dict[str, Any]] = []
    while asyncio.get_running_loop().time() < deadline:
        current = await takes(page)
        if predicate(current):
            return current
        await asyncio.sleep(0.3)
    states = [(t["phase"], t["state"], t.get("error")) for t in current]
    raise AssertionError(f"timed out waiting for {what or 'takes'}: {states}")


async def chunk_count(page: Any, client_id: str) -> int:
    return int(await page.evaluate(
        "async (cid) => (await import('/js/db.js')).chunkCount(cid)", client_id))


async def record_phase(page: Any, inspection_id: str, phase: str, seconds: float,
                       taps: list[str] | None = None, screenshot: str | None = None) -> None:
    """Opens the phase's recorder, films `seconds`, taps the counter buttons, stops."""
    await page.click(f"[data-record={phase}]")
    await page.wait_for_selector("#start:not([disabled])", timeout=15000)
    await page.click("#start")
    await page.wait_for_selector("#stop:not([hidden])")
    steps = taps or []
    pause = seconds / (len(steps) + 1)
    for tap in steps:
        await asyncio.sleep(pause)
        await page.click(f"#tap-{tap}")
    await asyncio.sleep(pause)
    if screenshot:
        await shot(page, screenshot, full_page=False)
    await page.click("#stop")
    await page.wait_for_selector("#back-to-inspection", timeout=15000)
    await page.click("#back-to-inspection")
    await page.wait_for_selector("#phases")


SMALL_TARGETS_JS = """() => [...document.querySelectorAll(
    'button, a.btn, a.card.link, .brand, input, textarea, [role=button]')]
  .filter((el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed')
  .map((el) => { const r = el.getBoundingClientRect();
                 return [el.id || el.className || el.tagName, Math.round(r.width), Math.round(r.height)]; })
  .filter(([, w, h]) => w < 48 || h < 48)"""


async def assert_touch_targets(page: Any) -> None:
    """Every visible control is at least 48 x 48 CSS px (gloves, sunlight, a moving truck)."""
    small = await page.evaluate(SMALL_TARGETS_JS)
    assert not small, small
