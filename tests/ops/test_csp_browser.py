"""The PWA under its Content-Security-Policy in real Chromium: it loads, logs in, registers its
service worker and shows the offline page with no CSP violation and no console error."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.conftest import (  # noqa: F401 - fixtures for this module
    PASSWORD,
    browser,
    context,
    fake_camera,
    server,
)


async def wait_js(page: Any, expression: str, timeout: float = 30.0) -> Any:
    """Polls through DevTools: Playwright's `wait_for_function` evals in the page, which this
    very policy (no 'unsafe-eval') refuses."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := await page.evaluate(expression)):
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {expression}"
        await asyncio.sleep(0.1)
    return value


WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def test_the_pwa_runs_under_the_csp(browser: Any, context: Any,  # noqa: F811
                                          server: Any) -> None:  # noqa: F811
    await context.add_init_script(WATCH)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = await page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    await page.wait_for_selector("#login")
    await page.fill("#login", "insp.alakol.1")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await wait_js(page, "location.hash === '#/inspections'")  # logged in, the list shown
    await wait_js(page, "navigator.serviceWorker.controller !== null")
    assert await page.evaluate("window.__violations") == []

    # The offline page as the network serves it (in the app's context the service worker
    # answers navigations with the shell).
    bare = await browser.new_context(base_url=server.url, service_workers="block")
    await bare.add_init_script(WATCH)
    offline = await bare.new_page()
    offline.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await offline.goto("/offline.html")
    # The page's script (a file now, not inline) filled in its translated text.
    await wait_js(offline, "document.querySelector('h1').textContent.trim().length > 0")
    assert await offline.evaluate("window.__violations") == []
    csp_errors = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    assert not csp_errors, csp_errors

    # The watcher does see a violation, and the policy does refuse inline script.
    await offline.evaluate("""() => { const s = document.createElement('script');
                                      s.textContent = 'window.__ran = true';
                                      document.head.append(s); }""")
    await wait_js(offline, "window.__violations.length > 0")
    assert await offline.evaluate("window.__ran === undefined")
    await bare.close()
