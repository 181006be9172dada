"""Screens that do not need a take: the linked IDK image with the operator's risk areas drawn
over it (rail post), in landscape and portrait; and the plain failures before recording —
camera refused, location refused, storage nearly full — each with how to fix it."""

from __future__ import annotations

from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import (
    PORTRAIT,
    assert_touch_targets,
    make_scene,
    shot,
    sign_in,
    wait_js,
)

AREAS = [
    {"x": 400, "y": 120, "w": 160, "h": 110, "note": "плотный объект за коробками"},
    {"x": 760, "y": 200, "w": 120, "h": 90, "note": "пустота в паллете"},
]

DENIED_JS = """
  navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  navigator.storage.estimate = async () => ({ usage: 9.95e9, quota: 1e10 });
  const query = navigator.permissions.query.bind(navigator.permissions);
  navigator.permissions.query = (d) => d.name === 'geolocation'
    ? Promise.resolve({ state: 'denied', onchange: null }) : query(d);
"""


async def test_idk_image_risk_areas_and_plain_failures(context: Any, server: Any, tokens: Any, db: Any) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": ["58100173"], "containers": ["MSKU1234565"]})
    form = {"image_id": "ALT-SC1-BROWSER1", "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": "58100173", "container_numbers": "MSKU1234565",
            "scanned_at": "2026-11-22T10:15:00+06:00"}
    image = xray_png(5, width=1024, height=384, bits=8, hidden_block=True)
    scan = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                            files={"image": ("scan.png", image, "image/png")})
    assert scan.status_code == 201, scan.text
    scan_id = scan.json()["id"]
    assert scan.json()["linked_declaration_ids"] == [scene.declaration["id"]]
    verdict = await scene.call("idk.altynkol", "POST", f"/api/idk/scans/{scan_id}/verdict",
                               json={"verdict": "suspicion", "risk_areas": AREAS})
    assert verdict.status_code == 200, verdict.text

    page = await context.new_page()
    await sign_in(page, scene.inspector)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.wait_for_selector(f"figure[data-scan-id='{scan_id}'] img[src^='blob:']")
    await wait_js(page, "document.querySelector('.scan img').naturalWidth === 1024")
    assert await page.locator("rect.risk-area").count() == len(AREAS)
    notes = await page.locator(".risk-notes li").all_inner_texts()
    assert notes == [a["note"] for a in AREAS]
    # The overlay is drawn in image pixels: a risk area lands where the operator marked it.
    box = await page.locator(".scan-frame").bounding_box()
    rect = await page.locator("rect.risk-area").first.bounding_box()
    scale = box["width"] / 1024
    assert abs(rect["x"] - (box["x"] + 400 * scale)) < 4 and abs(rect["width"] - 160 * scale) < 4
    await page.click("#start-inspection")
    await page.wait_for_selector("[data-record=opening]")  # rail posts film all four phases
    await shot(page, "14-inspection-idk-landscape")
    await assert_touch_targets(page)
    await page.click(".scan-frame")
    await page.wait_for_selector("figure.scan.expanded")
    await shot(page, "14b-idk-full-screen", full_page=False)
    await page.click(".scan-frame")
    await page.wait_for_selector("figure.scan.expanded", state="detached")
    await page.set_viewport_size(PORTRAIT)
    await shot(page, "15-inspection-idk-portrait")

    failing = await context.new_page()
    await failing.add_init_script(DENIED_JS)
    await failing.set_viewport_size(PORTRAIT)
    await failing.goto(f"/#/inspections/{scene.inspection_id}/record/recount")
    for key in ("error.camera_denied", "error.location_denied", "error.storage_low"):
        await failing.wait_for_selector(f"[data-problem='{key}']")
    assert await failing.is_disabled("#start")
    text = await failing.inner_text("[data-problem='error.camera_denied']")
    assert "Разрешить" in text  # says how to fix it
    assert "Свободно на планшете" in await failing.inner_text("#storage")
    await shot(failing, "16-record-permissions-refused")
    await assert_touch_targets(failing)
