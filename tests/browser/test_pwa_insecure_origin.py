"""On an origin that is not secure (plain http, not localhost) the app says why camera, signing
and offline mode are missing, in ru/kk/en, and does not offer recording.

Chromium maps the host name dosmotr.test to 127.0.0.1 (--host-resolver-rules), so
http://dosmotr.test:PORT is a real non-secure origin while the traffic stays on loopback.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from tests.browser.conftest import ALAKOL_GPS, CHROMIUM, LANDSCAPE, PASSWORD, Scene, shot, wait_js
from tests.recordings.server import ServerProcess

I18N = Path(__file__).resolve().parents[2] / "pwa" / "i18n"
KEYS = ("net.insecure", "secure.title", "secure.body", "secure.how", "secure.record_blocked")


@pytest_asyncio.fixture
async def insecure_page(server: ServerProcess) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run",
                  "--host-resolver-rules=MAP dosmotr.test 127.0.0.1"],
        )
        ctx = await chromium.new_context(
            base_url=f"http://dosmotr.test:{server.port}", viewport=LANDSCAPE,
            geolocation=ALAKOL_GPS, permissions=["geolocation"], locale="ru-RU",
        )
        page = await ctx.new_page()
        yield page
        await ctx.close()
        await chromium.close()


def _catalogue(lang: str) -> dict[str, str]:
    return dict(json.loads((I18N / f"{lang}.json").read_text()))


async def _banner(page: Any) -> str:
    await page.wait_for_selector("#secure-banner")
    return str(await page.inner_text("#secure-banner"))


async def test_insecure_origin_explains_and_offers_no_recording(insecure_page: Any, scene: Scene) -> None:
    page = insecure_page
    await page.goto("/")
    await page.wait_for_selector("#login")
    assert await page.evaluate("window.isSecureContext") is False
    ru = _catalogue("ru")
    banner = await _banner(page)
    assert ru["secure.title"] in banner and ru["secure.body"] in banner
    assert "https://dosmotr.test/" in banner
    net = await page.inner_text("#net")
    assert net == ru["net.insecure"] and net != ru["net.online"]
    await shot(page, "insecure-origin-login")

    for lang in ("kk", "en"):
        await page.click(f"#langs button[data-lang={lang}]")
        await wait_js(page, f"document.querySelector('#net').textContent === {json.dumps(_catalogue(lang)['net.insecure'])}")
        banner = await _banner(page)
        assert _catalogue(lang)["secure.body"] in banner
    await page.click("#langs button[data-lang=ru]")

    # Signing in still works (the API needs no secure context); recording is not offered.
    await page.fill("#login", scene.inspector)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await wait_js(page, "location.hash === '#/inspections'")
    assert ru["secure.title"] in await _banner(page)
    assert await page.is_hidden("#device-banner")  # not "will register when online"
    await page.goto(f"/#/inspections/{scene.inspection_id}/record/exterior")
    await page.wait_for_selector("#secure-record-blocked")
    assert await page.evaluate("document.body.dataset.view") == "insecure"
    assert await page.query_selector("#start") is None
    assert await page.query_selector("video") is None
    assert ru["secure.record_blocked"] in await page.inner_text("#secure-record-blocked")
    await shot(page, "insecure-origin-record")


async def test_loopback_is_secure_and_shows_no_banner(context: Any) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.wait_for_selector("#login")
    assert await page.evaluate("window.isSecureContext") is True
    assert await page.query_selector("#secure-banner") is None
    assert await page.inner_text("#net") == _catalogue("ru")["net.online"]


def test_every_language_names_the_cause() -> None:
    texts = {lang: _catalogue(lang) for lang in ("ru", "kk", "en")}
    for lang, catalogue in texts.items():
        for key in KEYS:
            assert catalogue.get(key), f"{lang} lacks {key}"
    assert "HTTPS" in texts["ru"]["secure.body"] and "HTTPS" in texts["kk"]["secure.body"]
    assert len({texts[lang]["secure.body"] for lang in texts}) == 3  # translated, not copied
