"""The post head's decision in Chromium: a release over unmet conditions is refused with the
409's `unmet` list shown and marked; with a written override reason it goes through, and the
screen says who released it. The refusal and the override reach the alert inbox."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import assert_touch_targets, make_scene, shot, wait_js
from tests.browser.desk import sign_in_as
from tests.helpers import declaration_payload

REASON = "Груз скоропортящийся, досмотр проведён визуально на месте"


async def test_release_with_override_shows_who_released(context: Any, server: Any, tokens: Any, db: Any) -> None:
    scene = await make_scene(server, tokens, db)
    decl_id = scene.declaration["id"]
    page = await context.new_page()
    errors = await sign_in_as(page, "head.alakol", "#/board")
    await page.click("[data-nav='decisions']")
    await page.click(f".awaiting[data-id='{decl_id}'] a.btn")
    await page.wait_for_selector("#gate .gate-item")
    assert await page.get_attribute(".gate-item[data-code='inspection_done']", "data-met") == "false"
    assert await page.get_attribute(".gate-item[data-code='separation_of_duties']", "data-met") == "true"

    # without a reason: 409, and the unmet conditions are listed and marked
    await page.click("#release-submit")
    await page.wait_for_selector("#release-refused:not([hidden])")
    unmet = await page.locator("#unmet-list li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert "inspection_done" in unmet and "evidence_valid" in unmet
    assert await page.locator(".gate-item.flagged").count() == len(unmet)
    await shot(page, "22-head-release-refused")

    # a reason too short is stopped here; a real one releases over the conditions
    await page.fill("#override-reason", "потому что")
    await page.click("#release-submit")
    await page.wait_for_selector("#release-error:not([hidden])")
    await page.fill("#release-comment", "выпуск по решению начальника")
    await page.fill("#override-reason", REASON)
    await page.click("#release-submit")
    await page.wait_for_selector("#decision")
    text = await page.inner_text("#decision")
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    assert head_name in text and REASON in text
    assert await page.get_attribute("#declaration-status", "data-status") == "released"
    row = await db.fetchrow("SELECT r.override, r.override_reason, u.login FROM release_decisions r "
                            "JOIN users u ON u.id = r.actor_id WHERE r.declaration_id = $1", decl_id)
    assert row["override"] and row["override_reason"] == REASON and row["login"] == "head.alakol"
    await shot(page, "23-head-released-override")
    await assert_touch_targets(page)

    # the inbox: the refused release raised an alert for the head; opening it shows the declaration
    await page.click("[data-nav='alerts']")
    await page.wait_for_selector(".alert")
    kinds = await page.locator(".alert").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert "release_refused" in kinds, kinds
    await page.click(".alert[data-kind='release_refused'] [data-open]")
    await wait_js(page, f"location.hash === '#/declarations/{decl_id}'")
    await page.wait_for_selector("#decision")

    # a green declaration: the head orders an inspection, with a reason, and an inspector is drawn
    green = await scene.call("keden", "POST", "/api/declarations", json=declaration_payload("ALAKOL", "green"))
    assert green.status_code == 201 and green.json()["inspection"] is None, green.text
    await page.goto(f"/#/declarations/{green.json()['id']}")
    await page.click(".more-actions summary")
    await page.fill("#order-form-reason", "оперативная информация о недостоверном декларировании")
    await page.click("#order-form-submit")
    await page.wait_for_selector("#open-inspection")
    ordered = (await scene.call("head.alakol", "GET", f"/api/declarations/{green.json()['id']}")).json()
    assert ordered["inspection"] and "ordered" in ordered["inspection_reasons"], ordered
    assert not errors, errors
