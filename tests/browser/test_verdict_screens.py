"""Verdicts on the post head's screens in ru, kk and en: gate reasons, check findings and
alerts come from codes and params (no server text in another language), a failed check reads
as the evidence's result, a check that could not run says so and can be run again, plurals
follow the language, and a released declaration's gate card says it was released."""

from __future__ import annotations

import re
from typing import Any

from backend.alerts.service import raise_alert
from tests.browser.conftest import make_scene, shot, wait_js
from tests.browser.desk import sign_in_as
from tests.helpers import add_validated_recording, declaration_payload, report_checks

CYRILLIC = re.compile("[а-яёәіңғүұқөһ]", re.IGNORECASE)


def _checks(phase: str, name: str, **fields: Any) -> list[dict[str, Any]]:
    checks = report_checks(phase)
    for c in checks:
        if c["name"] == name:
            c.update(fields)
    return checks


async def test_verdicts_speak_the_readers_language(context: Any, server: Any, tokens: Any, db: Any) -> None:
    scene = await make_scene(server, tokens, db)
    decl_id, insp = scene.declaration["id"], scene.inspection_id
    await add_validated_recording(db, insp, "exterior", "pass")
    unloading = await add_validated_recording(db, insp, "unloading", "unavailable", checks=_checks(
        "unloading", "completeness", verdict="unavailable", code="model_unavailable",
        detail="bay occupancy model unavailable (gone): not judged",
        params={"model": "occupancy", "reason": "no model 'bay_occupancy'"}))
    recount = await add_validated_recording(db, insp, "recount", "fail", checks=_checks(
        "recount", "duration", verdict="fail", code="too_short", detail="8.0 s recorded, 20.0 s required",
        params={"recorded_s": 8.0, "required_s": 20.0}))
    await raise_alert(
        db, kind="validation_unavailable", post_code="ALAKOL", object_type="recording",
        object_id=unloading, title="Проверка записи не выполнена", body="Фаза unloading: не удалось",
        dedupe_key=f"validation_unavailable:{unloading}", link=f"/recordings/{unloading}",
        params={"phase": "unloading", "number": scene.declaration["number"], "checks": "completeness"},
    )

    page = await context.new_page()
    errors = await sign_in_as(page, "head.alakol", "#/board")
    await page.goto(f"/#/declarations/{decl_id}")
    item = ".gate-item[data-code='evidence_valid']"
    await page.wait_for_selector(item)
    assert await page.get_attribute(item, "data-reason") == "check_unavailable"
    ru = await page.inner_text(f"{item} .gate-detail")
    assert "«Выгрузка»" in ru or "Выгрузка" in ru, ru
    assert "не выполнена" in ru and "unloading" not in ru and "+" not in ru, ru
    assert "ещё 1 проблема" in ru, ru  # the recount failure too, counted in Russian

    await page.click("[data-lang='en']")
    await wait_js(page, f"document.querySelector(\"{item} .gate-detail\")?.textContent.includes('could not run')")
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    en = (await page.inner_text("#gate-card")).replace(head_name, "")  # a name is not a language
    assert not CYRILLIC.search(en), en
    assert "and 1 more problem" in en, en
    await shot(page, "40-gate-reasons-en")

    await page.click("[data-lang='kk']")
    await wait_js(page, f"document.querySelector(\"{item} .gate-detail\")?.textContent.includes('орындалмады')")
    kk = await page.inner_text(f"{item} .gate-detail")
    assert "could not" not in kk and "тексеру" in kk, kk

    # plurals by Intl.PluralRules, in each language
    forms = await page.evaluate("""async () => {
      const m = await import('/js/i18n.js');
      const out = {};
      for (const lang of ['ru', 'en']) {
        await m.setLang(lang);
        out[lang] = [1, 3, 5, 21].map((n) => m.plural('gate.more', n));
      }
      return out;
    }""")
    assert forms["ru"] == ["и ещё 1 проблема", "и ещё 3 проблемы", "и ещё 5 проблем", "и ещё 21 проблема"]
    assert forms["en"] == ["and 1 more problem", "and 3 more problems", "and 5 more problems",
                           "and 21 more problems"]

    # the failed recording reads as the evidence's result, in Russian, without server text
    await page.click("[data-lang='ru']")
    await page.goto(f"/#/recordings/{recount}")
    await page.wait_for_selector("#report-summary")
    summary = await page.inner_text("#report-summary")
    assert summary.startswith("Запись не прошла проверку: Длительность — записано 8 с, требуется 20 с")
    assert "перезапишите фазу" in summary and "Ошибка проверки" not in await page.inner_text("#report")
    assert "recorded" not in await page.inner_text("#report")

    # the one that could not run says so, and the head runs it again with a reason
    await page.goto(f"/#/recordings/{unloading}")
    await page.wait_for_selector("#report-summary[data-verdict='unavailable']")
    finding = await page.inner_text(".report-check[data-check='completeness'] .finding")
    assert "модель заполненности кузова" in finding, finding
    await page.click("#revalidate summary")
    await page.fill("#revalidate-form-reason", "модель восстановлена администратором")
    await page.click("#revalidate-form-submit")
    await page.wait_for_selector("#revalidate-done:not([hidden])")
    assert "2" in await page.inner_text("#revalidate-done")
    assert await db.fetchval("SELECT state FROM recordings WHERE id = $1", unloading) == "validating"
    await shot(page, "41-report-unavailable-revalidate")

    # alerts from their code and params, in English: no Russian server text
    await page.click("[data-lang='en']")
    await page.goto("/#/alerts")
    card = ".alert[data-code='validation_unavailable']"
    await page.wait_for_selector(card)
    text = await page.inner_text(card)
    assert "A recording could not be checked" in text and scene.declaration["number"] in text, text
    assert "phase “Unloading”: Complete unloading could not run" in text, text
    assert not CYRILLIC.search(text), text

    # a released declaration's gate card says released, not "conditions not met"
    green = await scene.call("keden", "POST", "/api/declarations", json=declaration_payload("ALAKOL", "green"))
    released = await scene.call("head.alakol", "POST", f"/api/declarations/{green.json()['id']}/release", json={})
    assert released.status_code == 200, released.text
    await page.click("[data-lang='ru']")
    await page.goto(f"/#/declarations/{green.json()['id']}")
    await page.wait_for_selector("#gate-allowed[data-decided='released']")
    badge = await page.inner_text("#gate-allowed")
    assert badge == "Выпущена" and "Условия не выполнены" not in await page.inner_text("#gate-card")
    assert not errors, errors
