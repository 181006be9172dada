"""The post head's live board in Chromium: an inspection started by the inspector in another
session appears as started on the open board without a reload (server-sent events read with
fetch, since the stream takes only the bearer header), and the head approves a tablet."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.conftest import PORTRAIT, assert_touch_targets, make_scene, shot, wait_js
from tests.browser.desk import sign_in_as
from tests.recordings.kit import Tablet


async def test_the_board_follows_a_start_in_another_session(context: Any, server: Any, tokens: Any, db: Any) -> None:
    scene = await make_scene(server, tokens, db)
    page = await context.new_page()
    errors = await sign_in_as(page, "head.alakol", "#/board")
    card = f".board-card[data-id='{scene.inspection_id}']"
    await page.wait_for_selector(f"{card}[data-status='assigned']")
    await page.wait_for_selector("#live[data-state='open']")
    await page.evaluate("window.__sameDocument = true")

    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{scene.inspection_id}/start")
    assert started.status_code == 200, started.text
    await page.wait_for_selector(f"{card}[data-status='in_progress']", timeout=10000)
    assert await page.evaluate("window.__sameDocument === true"), "the board reloaded the page"
    # the elapsed clock runs against the policy minimum, every required phase is listed
    clock = page.locator(f"{card} .clock[data-started]")
    first = await clock.inner_text()
    await wait_js(
        page, f"document.querySelector({json.dumps(card + ' .clock[data-started]')}).textContent"
        f" !== {json.dumps(first)}", timeout=5000)
    phases = await page.locator(f"{card} .board-phase").evaluate_all("els => els.map(e => e.dataset.phase)")
    assert phases == ["exterior", "unloading", "recount"]
    await shot(page, "20-head-board-live")
    await assert_touch_targets(page)

    # a tablet waiting for approval: the head approves it from the devices screen
    tablet = Tablet()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await tablet.register(client, scene.headers(scene.inspector), scene.headers("head.alakol"), approve=False)
    await page.click("[data-nav='devices']")
    await page.click(f"[data-approve='{tablet.device_id}']")
    await page.wait_for_selector(f".device[data-id='{tablet.device_id}'][data-status='approved']")
    assert await db.fetchval("SELECT status FROM devices WHERE id = $1", tablet.device_id) == "approved"
    await page.set_viewport_size(PORTRAIT)
    await page.click("[data-nav='board']")
    await page.wait_for_selector(f"{card}[data-status='in_progress']")
    await shot(page, "21-head-board-portrait")
    await page.click("button.lang[data-lang='kk']")
    await page.wait_for_selector(f"{card}[data-status='in_progress']")
    await shot(page, "21b-head-board-kazakh")
    await page.click("button.lang[data-lang='ru']")

    # reassignment with a logged reason: another inspector is drawn, the board follows
    before = await db.fetchval("SELECT inspector_id FROM inspections WHERE id = $1", scene.inspection_id)
    await page.click(f"{card} a[href='#/inspections/{scene.inspection_id}']")
    before_name = await db.fetchval("SELECT name FROM users WHERE id = $1", before)
    await page.wait_for_selector("#inspector-name")
    assert await page.inner_text("#inspector-name") == before_name
    await page.fill("#reassign-form-reason", "инспектор заболел, уходит со смены")
    await page.click("#reassign-form-submit")
    await page.wait_for_selector("#reassigned:not([hidden])")
    after = await db.fetchval("SELECT inspector_id FROM inspections WHERE id = $1", scene.inspection_id)
    assert after and after != before
    await page.click("[data-nav='board']")
    await page.wait_for_selector(f"{card}[data-status='assigned']")
    assert not errors, errors
