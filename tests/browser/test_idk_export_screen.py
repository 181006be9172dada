"""The IDK operator's scan screen in Chromium on a display-LUT 8-bit export: the model card says
which export it is and that the scanner is not calibrated, the warning asks for the raw export,
what the model saw is advisory (on the card and in the viewer's legend), in ru, kk and en."""

from __future__ import annotations

import re
from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import make_scene, shot
from tests.browser.desk import sign_in_as, wait_js

SCANNED_AT = "2026-11-22T10:15:00+06:00"
CYRILLIC = re.compile("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
ASSESSMENT = {
    "model": {"name": "xray_assist", "sha256": "0" * 64},
    "anomalies": [{"x": 700, "y": 150, "w": 120, "h": 90, "score": 0.91, "kind": "dense_block"}],
    "consistency": {"score": None, "detail": "no linked declaration to compare with", "checks": []},
    "flagged": False, "reasons": [], "advisory": ["anomaly:dense_block"],
    "image": {"fill": 0.8, "mass_kg": 21000.0, "bay_fraction": 0.9, "mean_attenuation": 0.4,
              "export": "display", "calibrated": False, "scanner_version": 0},
    "thresholds": {"anomaly": 0.7}, "declaration_ids": [], "assessed_at": "2026-11-22T10:16:00+00:00",
    "export": "display", "calibrated": False,
    "warnings": ["xray_display_export", "xray_uncalibrated"],
}


async def test_a_display_export_is_shown_as_advisory_in_three_languages(
    context: Any, server: Any, tokens: Any, db: Any
) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": ["58100173"], "containers": []})
    form = {"image_id": "ALT-LUT-1", "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": "58999996", "container_numbers": "", "scanned_at": SCANNED_AT}
    resp = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                            files={"image": ("scan.png", xray_png(7, bits=8), "image/png")})
    assert resp.status_code == 201, resp.text
    scan = resp.json()
    await db.execute("UPDATE idk_scans SET assessment = $2 WHERE id = $1", scan["id"], ASSESSMENT)

    page = await context.new_page()
    errors = await sign_in_as(page, "idk.altynkol", "#/idk")
    await page.goto(f"/#/idk/{scan['id']}")
    await page.wait_for_selector("#model-export[data-export='display'][data-calibrated='false']")
    assert await page.locator("#model-warnings li[data-warning='xray_display_export']").count() == 1
    assert await page.locator("#model-warnings li[data-warning='xray_uncalibrated']").count() == 1
    await page.wait_for_selector("#xray-model-advisory")
    ru = await page.inner_text("#model-card")
    assert "8 бит" in ru and "справочно" in ru and "исходн" in ru, ru
    assert "xray_display_export" not in ru and "anomaly:" not in ru, ru
    await shot(page, "idk-display-export-ru")

    await page.click("[data-lang='en']")
    await wait_js(page, "document.querySelector('#model-card')?.textContent.includes('raw export')")
    en = await page.inner_text("#model-card")
    assert not CYRILLIC.search(en), en
    assert "Advisory only" in en and "not calibrated" in en, en
    assert "advisory" in await page.inner_text("#xray-model-advisory")

    await page.click("[data-lang='kk']")
    await wait_js(page, "document.querySelector('#model-card')?.textContent.includes('анықтамалық')")
    kk = await page.inner_text("#model-card")
    assert "калибрленбеген" in kk and "Advisory" not in kk, kk
    assert not errors, errors
