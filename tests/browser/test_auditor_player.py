"""The auditor in Chromium, on evidence made as in production: a signed recording of generated
media uploaded by tus and validated by the worker (drain mode), a linked IDK scan with risk
areas. Search finds the declaration; its page downloads the evidence package and shows the
audit trail; the player streams the rendition through the service worker with Range requests,
seeks from a tap marker, and draws the GPS track over the geofence and the scan's risk areas."""

from __future__ import annotations

from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import (
    LANDSCAPE,
    PORTRAIT,
    assert_touch_targets,
    make_scene,
    shot,
    wait_js,
)
from tests.browser.desk import count_pixels, drain_worker, register_recording, sign_in_as
from tests.helpers import declaration_payload

ALTYNKOL = (44.2105, 80.3620)
MARKERS = [{"t": 4.0, "kind": "place"}, {"t": 24.5, "kind": "place"}]
AREAS = [{"x": 400, "y": 120, "w": 160, "h": 110, "note": "плотный объект"}]


async def evidence(scene: Any, server: Any, tokens: Any, db_url: str) -> tuple[str, str]:
    form = {"image_id": "ALT-AUD-1", "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": "58100173", "container_numbers": "MSKU1234565",
            "scanned_at": "2026-11-22T10:15:00+06:00"}
    scan = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                            files={"image": ("scan.png", xray_png(5, bits=8, hidden_block=True), "image/png")})
    assert scan.status_code == 201, scan.text
    scan_id = scan.json()["id"]
    verdict = await scene.call("idk.altynkol", "POST", f"/api/idk/scans/{scan_id}/verdict",
                               json={"verdict": "suspicion", "risk_areas": AREAS})
    assert verdict.status_code == 200, verdict.text
    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{scene.inspection_id}/start")
    assert started.status_code == 200, started.text
    rec = await register_recording(server, tokens, scene.inspector, "head.altynkol", scene.inspection_id,
                                   "unloading", "unloading.mp4", ALTYNKOL, MARKERS, big=True)
    await drain_worker(db_url, server.data_dir)
    return rec["id"], scan_id


async def test_auditor_streams_seeks_and_reads_the_evidence(context: Any, server: Any, tokens: Any, db: Any,
                                                           db_url: str) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": ["58100173"], "containers": ["MSKU1234565"]})
    rec_id, scan_id = await evidence(scene, server, tokens, db_url)
    report = (await scene.call("auditor", "GET", f"/api/recordings/{rec_id}")).json()
    assert report["state"] in ("validated", "failed") and report["validation"], report["state"]

    page = await context.new_page()
    errors = await sign_in_as(page, "auditor", "#/search")
    await page.fill("#q-container", "MSKU1234565")
    await page.select_option("#q-verdict", "suspicion")
    await page.click("#search-submit")
    await wait_js(page, "location.hash.includes('container=MSKU1234565')")
    await page.click(f"tr[data-id='{scene.declaration['id']}'] a.cell-link")
    await page.wait_for_selector("#audit-trail tbody tr")
    await page.wait_for_selector("#chain-status[data-ok='true']")
    async with page.expect_download() as got:
        await page.click("#evidence-package")
    package = await got.value
    assert package.suggested_filename.endswith(".zip"), package.suggested_filename
    assert (await package.path()).stat().st_size > 10_000
    await shot(page, "40-auditor-declaration")

    ranges: list[str] = []
    context.on("request", lambda r: ranges.append(r.headers.get("range", ""))
               if "/stream/video.mp4" in r.url and r.service_worker is not None else None)
    await page.click(f"[data-recording='{rec_id}']")
    await wait_js(page, "document.querySelector('#player') && document.querySelector('#player').readyState >= 1",
                  timeout=20000)
    assert await page.get_attribute("#player", "data-path") == f"/api/recordings/{rec_id}/stream/video.mp4"
    duration = await page.evaluate("document.querySelector('#player').duration")
    assert 25 < duration < 35, duration
    # the second tap marker seeks the player to its time: ~9 MB into the file, asked for by range
    before = len(ranges)
    await page.click(".tl-marker[data-marker='1']")
    await wait_js(page, "Math.abs(Number(document.querySelector('#player').dataset.seeked) - 24.5) < 0.6"
                  " && document.querySelector('#player').readyState >= 2", timeout=20000)
    assert ranges and all(r.startswith("bytes=") for r in ranges), ranges
    starts = [int(r[6:].split("-")[0]) for r in ranges[before:]]
    assert any(start > 5_000_000 for start in starts), ranges
    # a check's stretch seeks too
    checks = report["validation"]["checks"]
    assert await page.locator(".report-check").count() == len(checks)

    # the GPS track over the post's geofence, and the scan's risk areas beside the player
    await wait_js(page, "document.querySelector('#track-canvas').width > 0")
    assert await page.get_attribute("#track-canvas", "data-points") == "11"
    assert await page.get_attribute("#track-canvas", "data-inside") == "11"
    assert await count_pixels(page, "#track-canvas", "orange") > 200  # close up on the track
    await page.click("#track-fit")  # the whole geofence around it
    assert await page.get_attribute("#track-canvas", "data-view") == "fence"
    assert await count_pixels(page, "#track-canvas", "fence") > 200
    await page.click("#track-fit")
    scan_canvas = f".player-scan[data-scan-id='{scan_id}'] canvas"
    await page.wait_for_selector(f"{scan_canvas}[data-loaded='1']")
    assert await count_pixels(page, scan_canvas, "red") > 100
    await wait_js(page, "document.querySelector('#contact-sheet').naturalWidth > 0")
    await page.wait_for_selector("#audit-trail tbody tr")
    await shot(page, "41-auditor-player")
    await assert_touch_targets(page)
    await page.set_viewport_size(PORTRAIT)
    await page.wait_for_timeout(300)
    await shot(page, "41b-auditor-player-portrait")
    await page.set_viewport_size(LANDSCAPE)

    # the review sample: a release of yesterday is drawn (rate permitting) and marked reviewed
    green = await scene.call("keden", "POST", "/api/declarations", json=declaration_payload("ALAKOL", "green"))
    released = await scene.call("head.alakol", "POST", f"/api/declarations/{green.json()['id']}/release", json={})
    assert released.status_code == 200, released.text
    await db.execute("UPDATE release_decisions SET decided_at = now() - interval '1 day' WHERE declaration_id = $1",
                     green.json()["id"])
    await page.click("[data-nav='review']")
    item = f".sample-item[data-id='{green.json()['id']}']"
    await page.wait_for_selector(f"#review-days [data-post='ALAKOL'] {item}[data-status='pending']")
    await page.click(f"{item} [data-mark='flagged']")  # a flag without a note is stopped here
    await page.wait_for_selector(f"{item} .error:not([hidden])")
    await page.click(f"{item} [data-mark='reviewed']")
    await page.wait_for_selector(f"{item}[data-status='reviewed']")
    await shot(page, "42-auditor-review-sample")
    await page.click("[data-nav='search']")
    async with page.expect_download() as got:
        await page.click("#export-csv")
    csv = await got.value
    assert csv.suggested_filename.endswith(".csv")
    assert not errors, errors
