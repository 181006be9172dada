"""An administrator sets up a post in Chromium, as on a fresh install: creates the post with a
pasted GeoJSON geofence, edits its policy (a bad value is refused with the JSON path the server
names, a good one becomes version 2, the old version stays readable), creates an inspector
(the one-time password shown once) and puts them on shift; the inspector signs in with the
one-time password and is held on the password screen until they set their own."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.conftest import shot, wait_js
from tests.browser.desk import sign_in_as

FENCE = {"type": "Polygon", "coordinates": [[[81.62, 46.16], [81.64, 46.16], [81.64, 46.17],
                                              [81.62, 46.17], [81.62, 46.16]]]}
NEW_PASSWORD = "Хоргос-инспектор-2026"


async def test_admin_sets_up_a_post_and_an_inspector(context: Any, server: Any, db: Any) -> None:
    page = await context.new_page()
    errors = await sign_in_as(page, "admin", "#/admin/users")

    # the post, with its geofence pasted as GeoJSON
    await page.click("[data-nav='admin/posts']")
    await page.wait_for_selector("#post-create")
    await page.fill("#post-code", "KHORGOS")
    await page.fill("#post-name", "Хоргос")
    await page.select_option("#post-kind", "road")
    await page.fill("#post-geofence", json.dumps({**FENCE, "coordinates": [FENCE["coordinates"][0][:-1]]}))
    await page.click("#post-create-submit")
    await page.wait_for_selector("#post-create-error:not([hidden])")
    assert "closed" in await page.inner_text("#post-create-error")
    await page.fill("#post-geofence", json.dumps(FENCE))
    await page.click("#post-create-submit")
    await wait_js(page, "location.hash === '#/admin/posts/KHORGOS'")
    await page.wait_for_selector("#policy-json")

    # the policy: refused with the path, then saved as version 2
    policy = json.loads(await page.input_value("#policy-json"))
    policy["min_seconds"]["unloading"] = {"fixed": -5, "per_place": 1}
    await page.fill("#policy-json", json.dumps(policy, indent=2))
    await page.click("#policy-save")
    await page.wait_for_selector("#policy-error:not([hidden])")
    assert "$.min_seconds[...].fixed" in await page.inner_text("#policy-error")
    policy["min_seconds"]["unloading"] = {"fixed": 240, "per_place": 4}
    await page.fill("#policy-json", json.dumps(policy, indent=2))
    await page.click("#policy-save")
    await page.wait_for_selector("#admin-saved[data-version='2']")
    await page.wait_for_selector("#policy-versions li[data-version='1']")
    await page.click("[data-show='1']")
    await page.wait_for_selector("#policy-version-json[data-version='1']:not([hidden])")
    old = json.loads(await page.inner_text("#policy-version-json"))
    assert old["min_seconds"]["unloading"] != {"fixed": 240.0, "per_place": 4.0}
    stored = await db.fetchval("SELECT policy->'min_seconds'->'unloading' FROM posts WHERE code = 'KHORGOS'")
    assert stored == {"fixed": 240.0, "per_place": 4.0}
    await shot(page, "60-admin-post-policy")

    # the inspector, with a one-time password shown once
    await page.click("[data-nav='admin/users']")
    await page.wait_for_selector("#user-create")
    await page.fill("#new-login", "insp.khorgos.1")
    await page.fill("#new-name", "Жанибек Сарсенбаев")
    await page.select_option("#new-role", "inspector")
    await page.select_option("#new-post", "KHORGOS")
    await page.click("#user-create-submit")
    await page.wait_for_selector("#otp-value")
    otp = (await page.inner_text("#otp-value")).strip()
    assert len(otp) >= 12
    await page.wait_for_selector("tr[data-login='insp.khorgos.1']")
    await shot(page, "61-admin-users-otp")

    # on shift
    await page.click("[data-nav='shift']")
    await page.select_option("#shift-post", "KHORGOS")
    await page.wait_for_selector("#shift[data-post='KHORGOS'] input[data-login='insp.khorgos.1']")
    await page.check("input[data-login='insp.khorgos.1']")
    await page.click("#shift-save")
    await page.wait_for_selector("#shift-saved[data-count='1']:not([hidden])")
    assert await db.fetchval("SELECT on_shift FROM users WHERE login = 'insp.khorgos.1'") is True
    await shot(page, "62-admin-shift")
    await page.click("#logout")
    await page.wait_for_selector("#login")

    # the inspector: held on the password screen until the one-time password is changed
    await page.fill("#login", "insp.khorgos.1")
    await page.fill("#password", otp)
    await page.click("button[type=submit]")
    await wait_js(page, "location.hash === '#/password'")
    await page.wait_for_selector("#password-forced")
    await page.evaluate("location.hash = '#/inspections'")
    await wait_js(page, "location.hash === '#/password'")
    await page.fill("#current-password", otp)
    await page.fill("#new-password", "short")
    await page.fill("#repeat-password", "short")
    await page.click("#password-submit")
    await page.wait_for_selector("#password-error:not([hidden])")
    await page.fill("#new-password", NEW_PASSWORD)
    await page.fill("#repeat-password", NEW_PASSWORD)
    await shot(page, "63-inspector-forced-password")
    await page.click("#password-submit")
    await wait_js(page, "location.hash === '#/inspections'")
    row = await db.fetchrow("SELECT must_change_password, on_shift FROM users WHERE login = 'insp.khorgos.1'")
    assert row["must_change_password"] is False and row["on_shift"] is True
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        old_login = await client.post("/api/auth/login", json={"login": "insp.khorgos.1", "password": otp})
        new_login = await client.post("/api/auth/login",
                                      json={"login": "insp.khorgos.1", "password": NEW_PASSWORD})
    assert old_login.status_code == 401 and new_login.status_code == 200
    # the tablet registered itself once the password was changed
    assert await db.fetchval("SELECT count(*) FROM devices d JOIN users u ON u.id = d.registered_by "
                             "WHERE u.login = 'insp.khorgos.1'") == 1
    assert not errors, errors
