"""The IDK operator's consist screen in Chromium: the train as a strip of wagons in the
railway's order, each with its state and the verdict on its scan, the unexpected scan listed,
in ru and en without server text."""

from __future__ import annotations

import re
from typing import Any

from backend.idk.xray import xray_png
from tests.browser.conftest import make_scene
from tests.browser.desk import sign_in_as, wait_js
from tests.helpers import wagon

CYRILLIC = re.compile("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")


async def test_the_operator_sees_the_train_as_a_strip_of_wagons(
    context: Any, server: Any, tokens: Any, db: Any
) -> None:
    scene = await make_scene(server, tokens, db, post="ALTYNKOL",
                             transport={"wagons": ["58100173"], "containers": []})
    numbers = [wagon(f"58901{n:02d}") for n in range(3)]
    body = {"train_number": "BR-2105", "station": "ALTYNKOL",
            "expected_at": "2026-11-22T09:00:00+06:00",
            "wagons": [{"position": i + 1, "wagon_number": n} for i, n in enumerate(numbers)]}
    resp = await scene.call("keden", "POST", "/api/rail/consists", json=body)
    assert resp.status_code == 201, resp.text
    consist_id = resp.json()["id"]
    stranger = wagon("7412345")
    for i, number in enumerate([numbers[0], numbers[1], stranger]):  # numbers[2] never scanned
        form = {"image_id": f"ALT-BR-{i}", "scanner": "Nuctech MB1215DE",
                "composition_number": "BR-2105", "wagon_number": number, "container_numbers": "",
                "scanned_at": f"2026-11-22T10:0{i}:00+06:00"}
        scan = await scene.call("idk.altynkol", "POST", "/api/idk/scans", data=form,
                                files={"image": ("scan.png", xray_png(11 + i), "image/png")})
        assert scan.status_code == 201, scan.text

    page = await context.new_page()
    errors = await sign_in_as(page, "idk.altynkol", "#/idk")
    await page.goto(f"/#/rail/consists/{consist_id}")
    await page.wait_for_selector("#consist-strip li.wagon")
    states = await page.eval_on_selector_all(
        "#consist-strip li.wagon", "els => els.map(e => [e.dataset.wagon, e.dataset.state])")
    assert states == [[numbers[0], "scanned"], [numbers[1], "scanned"], [numbers[2], "missing"]]
    assert await page.locator(f"#consist-strip li[data-wagon='{numbers[0]}'] .wagon-verdict").count() == 1
    assert await page.locator(f"#consist-strip li[data-wagon='{numbers[2]}'] .wagon-verdict").count() == 0
    unexpected = await page.inner_text("#consist-unexpected")
    assert stranger in unexpected and "ALT-BR-2" in unexpected, unexpected
    ru = await page.inner_text("main")
    assert "Не просвечен" in ru and "Поезд BR-2105" in ru, ru

    await page.click("[data-lang='en']")
    await wait_js(page, "document.querySelector('#consist-strip')?.textContent.includes('Not scanned')")
    en = await page.inner_text("#consist-strip")
    assert not CYRILLIC.search(en), en
    assert not errors, errors
