"""The inspector's day on the tablet, end to end in Chromium: sign in, wait for the device's
approval, start the inspection, film every required phase (tapping the recount counter), lose
the network in the middle of an upload, reload with no network (the service worker serves the
app and the cached inspection), get the network back, and find every recording on the server
with its bytes, chain and signature intact; then enter the counts and finish."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.conftest import (
    PORTRAIT,
    Scene,
    assert_touch_targets,
    chunk_count,
    record_phase,
    shot,
    sign_in,
    takes,
    wait_takes,
)
from tests.browser.evidence import check_evidence

PATCH_BYTES = 32 * 1024  # small PATCHes: the cut lands mid-upload, several PATCHes remain


def _check(name: str, verdict: str, detail: str = "") -> dict[str, Any]:
    return {"name": name, "verdict": verdict, "score": 1.0 if verdict == "pass" else 0.0,
            "threshold": 0.5, "detail": detail, "times": []}


def _all_verified(ts: list[dict[str, Any]], n: int) -> bool:
    return len(ts) == n and all(t["state"] == "verified" for t in ts)


async def test_every_phase_survives_a_cut_network(context: Any, scene: Scene, db: Any) -> None:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    await sign_in(page, scene.inspector)
    await page.wait_for_selector("#device-banner[data-status=pending]")
    await page.wait_for_selector(f"[data-id='{scene.inspection_id}']")
    await shot(page, "01-inspections-awaiting-approval")
    await assert_touch_targets(page)
    key = await page.evaluate(
        "async () => { const k = await (await import('/js/db.js')).kvGet('device_key');"
        " return [k.privateKey.extractable, k.privateKey.algorithm.namedCurve, k.privateKey.usages]; }")
    assert key == [False, "P-256", ["sign"]]  # the private key never leaves the tablet
    manifest = await (await context.new_cdp_session(page)).send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")

    device_id = await scene.approve_device(db)
    await page.wait_for_selector("#device-banner[data-status=approved]", state="hidden", timeout=15000)

    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    await page.wait_for_selector("[data-record=exterior]")
    await shot(page, "02-inspection")
    await assert_touch_targets(page)
    await page.evaluate(
        "async (n) => (await import('/js/db.js')).kvSet('patch_bytes', n)", PATCH_BYTES)

    await record_phase(page, scene.inspection_id, "exterior", 3, screenshot="03-record-exterior")
    await record_phase(page, scene.inspection_id, "unloading", 3)
    await wait_takes(page, lambda ts: _all_verified(ts, 2), what="the first two phases verified")

    # The network goes away after the first PATCH of the recount's upload.
    patches: list[str] = []

    async def cut(route: Any) -> None:
        if route.request.method != "PATCH":
            await route.continue_()
            return
        patches.append(route.request.url)
        if len(patches) == 1:
            await route.continue_()
            return
        await context.set_offline(True)
        await route.abort("internetdisconnected")

    await page.route("**/api/uploads/**", cut)
    await record_phase(page, scene.inspection_id, "recount", 4, ["place", "place", "undo", "place"],
                       screenshot="04-record-recount")
    stalled = await wait_takes(
        page, lambda ts: any(t["phase"] == "recount" and t["state"] == "uploading"
                             and t.get("error") and t["offset"] > 0 for t in ts),
        what="the recount upload cut off mid-way")
    recount = next(t for t in stalled if t["phase"] == "recount")
    assert 0 < recount["offset"] < recount["size"]
    await page.unroute("**/api/uploads/**")

    # Offline reload: the shell and the inspection come from the service worker's caches.
    await page.reload()
    await page.wait_for_selector("#phases")
    await page.wait_for_selector("[data-cached='1']")
    await shot(page, "05-offline-reload")
    await page.goto("/#/inspections")
    await page.wait_for_selector(f"[data-id='{scene.inspection_id}']")
    await shot(page, "06-inspections-offline")
    assert (await chunk_count(page, recount["client_id"])) > 0

    await context.set_offline(False)
    done = await wait_takes(page, lambda ts: _all_verified(ts, 3), timeout=60,
                            what="every take verified after the network came back")

    for take in done:
        assert await chunk_count(page, take["client_id"]) == 0  # bytes gone, receipt kept
        rec = await check_evidence(scene, db, take, device_id)
        assert take["receipt"]["recording_id"] == rec["id"]
    by_phase = {t["phase"]: t for t in done}
    recount = by_phase["recount"]
    kinds = [m["kind"] for m in recount["manifest"]["markers"]]
    assert kinds == ["place", "place", "undo", "place"]
    # Resumed, not restarted: one tus upload carried the whole recount.
    uploads = await db.fetchval("SELECT count(*) FROM uploads WHERE client_id = $1", recount["client_id"])
    assert uploads == 1

    # Finish: the tapped places (2) differ from the declared 20, so a note is required.
    await page.goto(f"/#/inspections/{scene.inspection_id}")
    await page.wait_for_selector("#go-finish")
    await page.click("#go-finish")
    await page.wait_for_selector("#counts-form")
    assert await page.input_value("#places") == "2"
    await page.click("#finish-submit")
    await page.wait_for_selector("text=опишите расхождение")
    await page.fill("#note", "Акт № 7: два места из двадцати, остальные не выгружены")
    await shot(page, "07-finish-counts")
    await assert_touch_targets(page)
    await page.click("#finish-submit")
    await page.wait_for_selector("#finish-status.status-finished")
    row = await db.fetchrow("SELECT status, places_counted, discrepancy_note FROM inspections WHERE id = $1",
                            scene.inspection_id)
    assert row["status"] == "finished" and row["places_counted"] == 2 and row["discrepancy_note"]

    # Validation results appear per phase as the pipeline writes them (here: written for it).
    for take, verdict, checks in [
        (by_phase["exterior"], "pass", [_check("duration", "pass")]),
        (by_phase["recount"], "fail", [_check("duration", "pass"),
                                       _check("recount", "fail", "2 taps, 20 places declared")]),
    ]:
        rec_id = await db.fetchval("SELECT id FROM recordings WHERE client_id = $1", take["client_id"])
        await db.execute("UPDATE recordings SET state = 'validated' WHERE id = $1", rec_id)
        await db.execute("INSERT INTO validation_reports (recording_id, verdict, report) VALUES ($1, $2, $3)",
                         rec_id, verdict, {"verdict": verdict, "checks": checks,
                                           "pipeline_version": "test", "models": []})
    await page.reload()
    await page.wait_for_selector("[data-phase=recount] [data-check=recount][data-verdict=fail]")
    await page.wait_for_selector("[data-phase=exterior] .verdict-pass")
    await shot(page, "08-finish-results")

    # The same screens in Kazakh and English, and in portrait.
    await page.goto(f"/#/inspections/{scene.inspection_id}")
    await page.wait_for_selector("#phases")
    await page.click("[data-lang=kk]")
    await page.wait_for_selector("text=Бейнетіркеу кезеңдері")
    await shot(page, "09-inspection-kk")
    await page.set_viewport_size(PORTRAIT)
    await page.click("[data-lang=en]")
    await page.wait_for_selector("text=Phases to film")
    await shot(page, "10-inspection-en-portrait")
    assert not errors, errors
    assert len(await takes(page)) == 3
    await asyncio.sleep(0)
