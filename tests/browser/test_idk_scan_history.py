"""The IDK operator in Chromium, on a scan the X-ray model (run by the worker) assessed before
its declaration arrived: the screen shows the assessment judged again against the declaration
(version 2), its history, and the figures in the screen's language; a scan whose wagon number
fails its check digit is marked in the queue and on its screen."""

from __future__ import annotations

from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import make_scene, shot
from tests.browser.desk import drain_worker, sign_in_as
from tests.helpers import declaration_payload, wagon

SCANNED_AT = "2026-11-22T10:15:00+06:00"


async def upload(scene: Any, image_id: str, number: str) -> dict[str, Any]:
    form = {"image_id": image_id, "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": number, "container_numbers": "", "scanned_at": SCANNED_AT}
    resp = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                            files={"image": ("scan.png", xray_png(11, bits=8), "image/png")})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_a_late_declaration_rejudges_the_scan_on_screen(context: Any, server: Any, tokens: Any,
                                                             db: Any, db_url: str) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": [wagon("5893000")], "containers": []})
    late_wagon = wagon("5893001")
    scan = await upload(scene, "ALT-HIST-1", late_wagon)
    typo = await upload(scene, "ALT-HIST-2", "58930021")  # the check digit of 5893002 is not 1
    assert typo["wagon_number_invalid"] and not scan["wagon_number_invalid"]
    await drain_worker(db_url, server.data_dir)
    body = declaration_payload("ALTYNKOL", "green")
    body["transport"] = {"wagons": [late_wagon], "containers": []}
    resp = await scene.call("keden", "POST", "/api/declarations", json=body)
    assert resp.status_code == 201, resp.text

    page = await context.new_page()
    errors = await sign_in_as(page, "idk.altynkol", "#/idk")
    await page.wait_for_selector(f".scan-card[data-id='{typo['id']}'] [data-mark='wagon-invalid']")
    assert await page.locator(f".scan-card[data-id='{scan['id']}'] [data-mark='wagon-invalid']").count() == 0

    await page.goto(f"/#/idk/{typo['id']}")
    await page.wait_for_selector("#wagon-invalid")
    assert "58930021" in await page.inner_text("#wagon-invalid")

    await page.goto(f"/#/idk/{scan['id']}")
    await page.wait_for_selector("#model-version[data-version='2']")
    assert await page.get_attribute("#consistency", "data-score") != ""
    await page.click("#model-history summary")
    await page.wait_for_selector("#model-history-list li[data-version='2'][data-why='linked']")
    assert await page.locator("#model-history-list li").count() == 2
    card = await page.inner_text("#model-card")
    assert "declared" not in card and "the image" not in card  # no server English on a Russian screen
    await shot(page, "idk-assessment-history")
    assert not errors, errors
