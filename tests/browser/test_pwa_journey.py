"""The journey around the evidence, in Chromium: only an inspector's sign-in registers a tablet
(a head's desktop and an auditor's laptop register nothing and are never told to wait for
approval); the head's device card names the tablet's owner and the tablet shows its own name;
«Завершить» says which phases are still to film instead of being offered; the board's upload
percentage follows each accepted PATCH live."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.conftest import Scene, record_phase, shot, sign_in, wait_js
from tests.browser.desk import sign_in_as
from tests.recordings.kit import new_client_id, tus_create, tus_patch


def _device_posts(page: Any) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST"
            and r.url.endswith("/api/devices") else None)
    return posts


async def _desk(context: Any, scene: Scene) -> Any:
    """Another computer: its own browser storage, no camera or GPS granted."""
    return await context.browser.new_context(base_url=scene.server.url, locale="ru-RU",
                                             service_workers="allow")


async def test_only_an_inspector_registers_a_tablet_and_its_card_names_the_owner(
    context: Any, scene: Scene, db: Any
) -> None:
    head_desk, auditor_desk = await _desk(context, scene), await _desk(context, scene)
    try:
        head_page = await head_desk.new_page()
        head_posts = _device_posts(head_page)
        errors = await sign_in_as(head_page, "head.alakol", "#/board")
        await head_page.wait_for_selector("#board")
        assert await head_page.is_hidden("#device-banner")
        assert head_posts == []

        auditor_page = await auditor_desk.new_page()
        auditor_posts = _device_posts(auditor_page)
        responses: list[int] = []
        auditor_page.on("response", lambda r: responses.append(r.status) if "/api/" in r.url else None)
        errors += await sign_in_as(auditor_page, "auditor", "#/search")
        assert auditor_posts == [] and 403 not in responses, responses
        assert await auditor_page.is_hidden("#device-banner")
        assert await db.fetchval(
            "SELECT count(*) FROM devices d JOIN users u ON u.id = d.registered_by "
            "WHERE u.role <> 'inspector'") == 0

        tablet = await context.new_page()
        tablet_posts = _device_posts(tablet)
        await sign_in(tablet, scene.inspector)
        await tablet.wait_for_selector("#device-banner[data-status=pending]")
        assert len(tablet_posts) == 1
        name = await db.fetchval(
            "SELECT d.name FROM devices d JOIN users u ON u.id = d.registered_by WHERE u.login = $1",
            scene.inspector)
        owner = await db.fetchval("SELECT name FROM users WHERE login = $1", scene.inspector)
        assert name in await tablet.inner_text("#device-name")  # the tablet names itself

        await head_page.goto("/#/devices")
        card = head_page.locator(".card.device[data-status=pending]")
        await card.wait_for()
        assert name in await card.inner_text()
        assert owner in await card.locator(".device-owner").inner_text()
        await shot(head_page, "devices-card-owner")
        await card.locator("[data-approve]").click()
        await head_page.wait_for_selector(".card.device[data-status=approved]")
        await tablet.reload()
        await tablet.wait_for_selector("#device-banner[data-status=approved]", state="hidden",
                                       timeout=15000)
        await tablet.click(f"[data-id='{scene.inspection_id}']")
        await tablet.wait_for_selector("#start-inspection")
        assert name in await tablet.inner_text("#tablet-name")  # still named once approved
        assert not errors, errors
    finally:
        await head_desk.close()
        await auditor_desk.close()


async def test_finish_says_what_is_missing_before_it_is_offered(context: Any, scene: Scene,
                                                                db: Any) -> None:
    page = await context.new_page()
    await sign_in(page, scene.inspector)
    await page.wait_for_selector("#device-banner[data-status=pending]")
    await scene.approve_device(db)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    missing = page.locator("#finish-missing")
    await missing.wait_for()
    assert await page.locator("#go-finish").count() == 0
    phases = (await missing.get_attribute("data-missing") or "").split()
    assert phases == ["exterior", "unloading", "recount"], phases
    assert await missing.locator("li").count() == 3
    await shot(page, "finish-missing-phases")
    # opening the finish screen directly shows the same list, not the form
    await page.goto(f"/#/inspections/{scene.inspection_id}/finish")
    await page.wait_for_selector("#finish-missing")
    assert await page.locator("#counts-form").count() == 0

    await page.goto(f"/#/inspections/{scene.inspection_id}")
    await page.wait_for_selector("[data-record=exterior]")
    await record_phase(page, scene.inspection_id, "exterior", 2.5)
    left = await page.locator("#finish-missing").get_attribute("data-missing")
    assert (left or "").split() == ["unloading", "recount"]
    await record_phase(page, scene.inspection_id, "unloading", 2.5)
    await record_phase(page, scene.inspection_id, "recount", 2.5, taps=["place"])
    await page.wait_for_selector("#go-finish")
    assert await page.locator("#finish-missing").count() == 0


async def test_the_board_shows_upload_progress_as_it_happens(context: Any, scene: Scene) -> None:
    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{scene.inspection_id}/start")
    assert started.status_code == 200, started.text
    desk = await _desk(context, scene)
    page = await desk.new_page()
    errors = await sign_in_as(page, "head.alakol", "#/board")
    await page.wait_for_selector("#live[data-state=open]", timeout=15000)
    headers = scene.headers(scene.inspector)
    async with httpx.AsyncClient(base_url=scene.server.url, timeout=30) as client:
        created = await tus_create(client, headers, scene.inspection_id, "unloading",
                                   new_client_id(), 4000)
        assert created.status_code == 201, created.text
        upload = created.headers["location"].rsplit("/", 1)[-1]
        line = page.locator(f"[data-upload='{upload}']")
        await line.wait_for()
        assert "0%" in (await line.inner_text()).replace("\u00a0", "")
        for offset, pct in ((0, 25), (1000, 50)):
            resp = await tus_patch(client, headers, upload, offset, b"v" * 1000)
            assert resp.status_code == 204, resp.text
            # no reload, no sweeper: the notice of the PATCH refetches the board
            sel = json.dumps(f"[data-upload='{upload}']")
            await wait_js(page, f"document.querySelector({sel})?.textContent.includes('{pct}%')",
                          timeout=10000)
    assert await page.locator(f"[data-upload='{upload}'] progress").get_attribute("value") == "50"
    assert not errors, errors
    await desk.close()
