"""The IDK operator in Chromium: the queue marks the scan no declaration matched; on the canvas
viewer the operator zooms, inverts, hides the model's suggestions, drags a risk area, writes
its note and gives the verdict — and the server holds that area, in image pixels. The unmatched
scan is then linked by hand, with the unit it shows and a reason."""

from __future__ import annotations

from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import PORTRAIT, assert_touch_targets, make_scene, shot
from tests.browser.desk import count_pixels, sign_in_as

SCANNED_AT = "2026-11-22T10:15:00+06:00"
AREA = {"x": 400, "y": 120, "w": 160, "h": 110}
ASSESSMENT = {
    "model": {"name": "xray_assist", "sha256": "0" * 64},
    "anomalies": [{"x": 700, "y": 150, "w": 120, "h": 90, "score": 0.91, "kind": "dense_block"}],
    "consistency": {"score": 0.35, "detail": "the bay is fuller than the declared places suggest", "checks": []},
    "flagged": True, "reasons": ["anomaly dense_block 0.91"],
    "image": {"fill": 0.8, "mass_kg": 21000.0, "bay_fraction": 0.9, "mean_attenuation": 0.4},
    "thresholds": {"anomaly": 0.5}, "declaration_ids": [], "assessed_at": "2026-11-22T10:16:00+00:00",
}
BRIGHTNESS_JS = """() => { const c = document.querySelector('#xray-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += d[i]; return s / (d.length / 4); }"""


async def upload(scene: Any, image_id: str, wagon: str, containers: str) -> dict[str, Any]:
    form = {"image_id": image_id, "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": wagon, "container_numbers": containers, "scanned_at": SCANNED_AT}
    resp = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                            files={"image": ("scan.png", xray_png(7, bits=8, hidden_block=True), "image/png")})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_operator_draws_a_risk_area_and_gives_the_verdict(context: Any, server: Any, tokens: Any, db: Any) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": ["58100173"], "containers": ["MSKU1234565"]})
    scan = await upload(scene, "ALT-OP-1", "58100173", "MSKU1234565")
    stray = await upload(scene, "ALT-OP-2", "58999996", "")
    assert scan["linked_declaration_ids"] == [scene.declaration["id"]] and not stray["linked_declaration_ids"]
    await db.execute("UPDATE idk_scans SET assessment = $2 WHERE id = $1", scan["id"], ASSESSMENT)

    page = await context.new_page()
    errors = await sign_in_as(page, "idk.altynkol", "#/idk")
    await page.wait_for_selector(f".scan-card[data-id='{stray['id']}'][data-unlinked='true'] [data-mark='unlinked']")
    assert await page.get_attribute(f".scan-card[data-id='{scan['id']}']", "data-unlinked") == "false"
    await shot(page, "30-idk-queue")
    await assert_touch_targets(page)

    await page.click(f".scan-card[data-id='{scan['id']}']")
    await page.wait_for_selector("#xray-canvas[data-loaded='1']")
    assert await count_pixels(page, "#xray-canvas", "cyan") > 100  # the model's suggestion, on by default
    await page.click("#xray-layer-model")
    assert await count_pixels(page, "#xray-canvas", "cyan") == 0
    plain = await page.evaluate(BRIGHTNESS_JS)
    await page.click("#xray-invert")
    inverted = await page.evaluate(BRIGHTNESS_JS)
    assert abs(plain - inverted) > 20, (plain, inverted)
    await page.click("#xray-invert")
    s0 = float(await page.get_attribute("#xray-canvas", "data-s"))
    await page.click("#xray-zoom-in")
    assert float(await page.get_attribute("#xray-canvas", "data-s")) > s0
    await page.click("#xray-fit")

    # drag a rectangle over the image: canvas pixels back to image pixels
    view = await page.eval_on_selector("#xray-canvas", "c => ({...c.dataset, box: c.getBoundingClientRect().toJSON()})")
    s, ox, oy, box = float(view["s"]), float(view["ox"]), float(view["oy"]), view["box"]
    x0, y0 = box["x"] + ox + AREA["x"] * s, box["y"] + oy + AREA["y"] * s
    x1, y1 = x0 + AREA["w"] * s, y0 + AREA["h"] * s
    await page.mouse.move(x0, y0)
    await page.mouse.down()
    await page.mouse.move(x1, y1, steps=8)
    await page.mouse.up()
    await page.fill("#xray-areas input", "плотный объект за коробками")
    assert await count_pixels(page, "#xray-canvas", "red") > 200
    await shot(page, "31-idk-operator-drawing")
    await assert_touch_targets(page)
    await page.click("#verdict-suspicion")
    await page.wait_for_selector("#scan-verdict[data-verdict='suspicion']")

    saved = (await scene.call("idk.altynkol", "GET", f"/api/idk/scans/{scan['id']}")).json()
    assert saved["verdict"] == "suspicion"
    [area] = saved["risk_areas"]
    tolerance = max(2, 1.5 / s)  # one CSS pixel of the fitted image, in image pixels
    for key in ("x", "y", "w", "h"):
        assert abs(area[key] - AREA[key]) <= tolerance, (area, AREA)
    assert area["note"] == "плотный объект за коробками"
    # read-only now: the area is drawn from the server's copy, the verdict is final
    await page.wait_for_selector("#xray-canvas[data-loaded='1']")
    assert await count_pixels(page, "#xray-canvas", "red") > 200
    assert await page.locator("#verdict-suspicion").count() == 0
    await shot(page, "32-idk-operator-verdict")

    await page.set_viewport_size(PORTRAIT)
    await page.wait_for_timeout(300)  # the canvas refits to the new width
    assert await count_pixels(page, "#xray-canvas", "red") > 100
    await shot(page, "33-idk-operator-portrait")

    # the scan no number matched: linked by hand to the declaration, with the unit and a reason
    await page.goto(f"/#/idk/{stray['id']}")
    await page.wait_for_selector("#links-card [data-mark='unlinked']")
    await page.click("#links-card .more-actions summary")
    await page.fill("#link-number", scene.declaration["number"])
    await page.fill("#link-wagon", "58100173")
    await page.fill("#link-reason", "номер вагона считан сканером с ошибкой")
    await page.click("#link-submit")
    await page.wait_for_selector(f"#links-card .link-item[data-declaration-id='{scene.declaration['id']}']")
    assert await page.locator("#links-card [data-mark='unlinked']").count() == 0
    linked = (await scene.call("idk.altynkol", "GET", f"/api/idk/scans/{stray['id']}")).json()
    assert linked["linked_declaration_ids"] == [scene.declaration["id"]]
    assert linked["links"][0]["matched_on"] == "manual"
    assert not errors, errors
