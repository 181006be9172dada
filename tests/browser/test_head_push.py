"""Push in Chromium: a push delivered through DevTools (`ServiceWorker.deliverPushMessage`; an
offline Chromium cannot subscribe at a real push service) becomes a notification with the
alert's title, body and link, and a click on it shows the linked screen in the open window.
The settings screen sends a test notification through the server's queue."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.browser.conftest import make_scene, shot, wait_js
from tests.browser.desk import sign_in_as

NOTIFICATIONS_JS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, data: n.data, tag: n.tag }))"""


async def notifications(page: Any, want: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        shown = list(await page.evaluate(NOTIFICATIONS_JS))
        if len(shown) >= want or asyncio.get_running_loop().time() > deadline:
            return shown
        await asyncio.sleep(0.2)


async def registration_id(cdp: Any, scope: str) -> str:
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def seen(event: dict[str, Any]) -> None:
        for reg in event["registrations"]:
            if reg["scopeURL"] == scope and not reg.get("isDeleted") and not found.done():
                found.set_result(reg["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", seen)
    await cdp.send("ServiceWorker.enable")
    return await asyncio.wait_for(found, 10)


async def test_a_push_shows_a_notification_that_opens_its_screen(context: Any, server: Any, tokens: Any, db: Any) -> None:
    await context.grant_permissions(["notifications"])
    scene = await make_scene(server, tokens, db)
    decl_id = scene.declaration["id"]
    page = await context.new_page()
    errors = await sign_in_as(page, "head.alakol", "#/board")

    cdp = await context.new_cdp_session(page)
    reg = await registration_id(cdp, f"{server.url}/")
    payload = {"title": "Выпуск с нарушением условий", "body": "50508: причина указана",
               "link": f"/declarations/{decl_id}", "alert_id": "alert-1"}
    await cdp.send("ServiceWorker.deliverPushMessage",
                   {"origin": server.url, "registrationId": reg, "data": json.dumps(payload)})
    shown_all = await notifications(page)
    [shown] = shown_all
    assert shown["title"] == payload["title"] and shown["body"] == payload["body"]
    assert shown["data"] == {"link": payload["link"], "alert_id": "alert-1"} and shown["tag"] == "alert-1"

    # the click: the worker's notificationclick path, reached from the worker itself
    [worker] = [w for w in context.service_workers if w.url.endswith("/sw.js")]
    opened = await worker.evaluate("""async () => {
      const [n] = await self.registration.getNotifications();
      return self.dosmotr.clickNotification(n);
    }""")
    assert opened == {"opened": "focused", "hash": f"#/declarations/{decl_id}"}
    await wait_js(page, f"location.hash === '#/declarations/{decl_id}'", timeout=10000)
    await page.wait_for_selector("#gate .gate-item")
    assert await page.evaluate(NOTIFICATIONS_JS) == []  # the clicked notification is closed

    # with no window of the app open, the click opens one at the link (openWindow needs the real
    # click's user activation, so here it is only recorded)
    await page.goto("about:blank")
    opened = await worker.evaluate("""async (link) => {
      self.clients.openWindow = async (url) => { self.__opened = url; return null; };
      const out = await self.dosmotr.openLink(link);
      return { ...out, url: self.__opened };
    }""", "/alerts")
    assert opened == {"opened": "window", "hash": "#/alerts", "url": f"{server.url}/#/alerts"}

    # settings: a test notification goes through the queue (no subscription in this browser)
    page = await context.new_page()
    await page.goto("/#/settings")
    await page.wait_for_selector("#push-test")
    state = await page.get_attribute("#push-state", "data-state")
    assert state == "off", state
    await page.click("#push-test")
    await wait_js(page, "document.querySelector('#push-result').textContent.includes('0')")
    # enabling needs a push service; this offline Chromium has none, and the screen says so
    await page.click("#push-enable")
    await page.wait_for_selector("#push-error:not([hidden])", timeout=20000)
    assert "Не удалось включить уведомления" in await page.inner_text("#push-error")
    await shot(page, "24-head-push-settings")
    assert not errors, errors
