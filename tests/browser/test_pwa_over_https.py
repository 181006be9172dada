"""The tablet records over HTTPS through the real proxy (issue 10's "Done when"): Debian's Caddy
runs the real deploy/Caddyfile (internal CA) in front of a real `dosmotr serve`, and Chromium
opens the PWA on `https://127.0.0.1:<port>`, trusting exactly the certificate Caddy serves
(`--ignore-certificate-errors-spki-list`, so the origin is a secure context, not merely one
whose errors are waved through). The post head puts one inspector on shift in the PWA; a
declaration draws that inspector; on their tablet the service worker takes control, the device
key is made with WebCrypto, and one filmed phase reaches the server, signed and intact."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.browser.conftest import (
    ALAKOL_GPS,
    CHROMIUM,
    LANDSCAPE,
    chromium_args,
    make_scene,
    record_phase,
    sign_in,
    wait_js,
    wait_takes,
)
from tests.browser.desk import sign_in_as
from tests.browser.evidence import check_evidence
from tests.deploy.test_proxy import SITE, Proxy, _internal_root
from tests.recordings.server import ServerProcess

POST = "ALAKOL"


def _leaf_spki(port: int, verify: ssl.SSLContext) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of the certificate Caddy serves, verified against
    Caddy's internal root first: Chromium is told to trust this key and nothing else."""
    with socket.create_connection((SITE, port), timeout=10) as raw, \
            verify.wrap_socket(raw, server_hostname=SITE) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der, "Caddy served no certificate"
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture
def proxy(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[Proxy, str]]:
    work = tmp_path / "caddy"
    work.mkdir()
    running = Proxy(work, server.port, {}).start()
    try:
        verify = _internal_root(work)
        running.wait(verify)
        yield running, _leaf_spki(running.https, verify)
    finally:
        running.stop()


@pytest_asyncio.fixture
async def https_browser(proxy: tuple[Proxy, str], fake_camera: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    _, spki = proxy
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*chromium_args(fake_camera), f"--ignore-certificate-errors-spki-list={spki}"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def _tablet(browser: Any, url: str) -> Any:
    return await browser.new_context(
        base_url=url, viewport=LANDSCAPE, geolocation=ALAKOL_GPS,
        permissions=["geolocation", "camera", "background-sync"], locale="ru-RU",
        service_workers="allow",
    )


async def test_inspector_records_over_https_behind_caddy(
    https_browser: Any, browser: Any, proxy: tuple[Proxy, str], server: ServerProcess,
    tokens: dict[str, str], db: Any,
) -> None:
    from playwright.async_api import Error as PlaywrightError

    caddy, _ = proxy
    assert caddy.url.startswith("https://")
    # Without the pinned key Chromium refuses the internal CA: the trust below is that key's.
    stranger = await browser.new_context()
    try:
        with pytest.raises(PlaywrightError, match="ERR_CERT"):
            await (await stranger.new_page()).goto(caddy.url + "/")
    finally:
        await stranger.close()

    chosen = await db.fetchval(
        "SELECT login FROM users WHERE role = 'inspector' AND active AND post_code = $1 "
        "ORDER BY login LIMIT 1", POST)
    others = await db.fetchval(
        "SELECT count(*) FROM users WHERE role = 'inspector' AND active AND post_code = $1 "
        "AND login <> $2", POST, chosen)
    assert chosen and others >= 1  # the shift really narrows the draw

    # The post head, on HTTPS, puts exactly one inspector on shift.
    head_ctx = await _tablet(https_browser, caddy.url)
    try:
        page = await head_ctx.new_page()
        errors = await sign_in_as(page, f"head.{POST.lower()}", "#/board")
        assert await page.evaluate("window.isSecureContext") is True
        assert await page.evaluate("location.protocol") == "https:"
        await page.goto("/#/shift")
        await page.wait_for_selector(f"#shift[data-post='{POST}'] input[data-login='{chosen}']")
        for box in await page.query_selector_all("#shift input[data-login]"):
            if await box.get_attribute("data-login") == chosen:
                await box.check()
            else:
                await box.uncheck()
        await page.click("#shift-save")
        await page.wait_for_selector("#shift-saved[data-count='1']:not([hidden])")
        assert not errors, errors
    finally:
        await head_ctx.close()
    on_shift = await db.fetch(
        "SELECT login FROM users WHERE role = 'inspector' AND on_shift AND post_code = $1", POST)
    assert [r["login"] for r in on_shift] == [chosen]

    scene = await make_scene(server, tokens, db, POST)
    assert scene.inspector == chosen  # the draw took the one inspector on shift

    ctx = await _tablet(https_browser, caddy.url)
    try:
        page = await ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in(page, scene.inspector)  # waits for the service worker to control the page
        secure = await page.evaluate(
            "async () => [window.isSecureContext, location.origin,"
            " (await navigator.serviceWorker.ready).active.state, typeof crypto.subtle.sign]")
        assert secure == [True, caddy.url, "activated", "function"]
        key = await wait_js(
            page, "(async () => { const k = await (await import('/js/db.js')).kvGet('device_key');"
                  " return k && [k.privateKey.extractable, k.privateKey.algorithm.namedCurve]; })()",
            timeout=15000)
        assert key == [False, "P-256"]  # made by WebCrypto on this origin, never exportable
        await page.wait_for_selector("#device-banner[data-status=pending]")
        device_id = await scene.approve_device(db)
        await page.wait_for_selector("#device-banner[data-status=approved]", state="hidden",
                                     timeout=15000)

        await page.wait_for_selector(f"[data-id='{scene.inspection_id}']")
        await page.click(f"[data-id='{scene.inspection_id}']")
        await page.click("#start-inspection")
        await page.wait_for_selector("[data-record=exterior]")
        await record_phase(page, scene.inspection_id, "exterior", 3)
        done = await wait_takes(
            page, lambda ts: len(ts) == 1 and ts[0]["state"] == "verified", timeout=45,
            what="the exterior take verified by the server over HTTPS")
        rec = await check_evidence(scene, db, done[0], device_id)
        assert done[0]["receipt"]["recording_id"] == rec["id"]
        assert not errors, errors
    finally:
        await ctx.close()

    # The upload went through Caddy: its access log names the tus endpoint.
    log = (caddy.work / "caddy.log").read_text(errors="replace")
    assert '"uri":"/api/uploads' in log, log[-2000:]
