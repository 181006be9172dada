"""Verdicts on the post head's screens in ru, kk and en: gate reasons, check findings and
alerts come from codes and params (no server text in another language), a failed check reads
as the evidence's result, a check that could not run says so and can be run again, plurals
follow the language, and a released declaration's gate card says it was released."""

from __future__ import annotations

import json
import re
from typing import Any

from backend.alerts.service import raise_alert
from tests.browser.conftest import make_scene, shot, sign_in, wait_js
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
        params={"model": "occupancy", "reason": "model_sha256_mismatch"}))
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
    # the reason is a code, told in the reader's language: no English server text
    assert "контрольной суммой" in finding and not re.search("[a-z]", finding, re.IGNORECASE), finding
    await page.click("[data-lang='kk']")
    await wait_js(page, "document.querySelector(\".report-check[data-check='completeness'] .finding\")"
                        "?.textContent.includes('бақылау сомасына')")
    finding_kk = await page.inner_text(".report-check[data-check='completeness'] .finding")
    assert not re.search("[a-z]", finding_kk, re.IGNORECASE), finding_kk
    await page.click("[data-lang='ru']")
    await wait_js(page, "document.querySelector(\".report-check[data-check='completeness'] .finding\")"
                        "?.textContent.includes('контрольной')")
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


async def _texts_on(page: Any, selector: str, expression: str) -> str:
    await wait_js(page, expression)
    return await page.inner_text(selector)


async def test_the_finish_screen_and_the_gate_list_carry_no_server_text(
    context: Any, server: Any, tokens: Any, db: Any
) -> None:
    scene = await make_scene(server, tokens, db)
    decl_id, insp = scene.declaration["id"], scene.inspection_id
    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{insp}/start")
    assert started.status_code == 200, started.text
    await add_validated_recording(db, insp, "exterior", "pass")
    await add_validated_recording(db, insp, "unloading", "warn", checks=_checks(
        "unloading", "geotag", verdict="warn", code="track_gap",
        detail="geotag: 144.0 s uncovered, gap 144.0 s",
        params={"uncovered_s": 144, "longest_gap_s": 144}))
    await add_validated_recording(db, insp, "recount", "fail", checks=_checks(
        "recount", "duration", verdict="fail", code="too_short", detail="8.0 s recorded, 20.0 s required",
        params={"recorded_s": 8.0, "required_s": 20.0}))
    server_details = ["geotag: 144.0 s uncovered", "8.0 s recorded, 20.0 s required"]

    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, scene.inspector)
    await scene.approve_device(db)
    await page.goto(f"/#/inspections/{insp}/finish")
    await page.wait_for_selector("#results .checks li[data-check='duration'] .finding")
    await page.wait_for_selector("#counts-form")
    await page.click("[data-lang='kk']")
    kk = await _texts_on(page, "#results", "document.querySelector(\"#results li[data-check='duration'] "
                         ".finding\")?.textContent.includes('тым қысқа')")
    assert "144 с" in kk and "8 с жазылды" in kk, kk
    assert not any(d in kk for d in server_details) and "записано" not in kk, kk

    # a refusal reads from its problem code: the inspection was finished meanwhile
    for path, body in ((f"/api/inspections/{insp}/counts", {"places_counted": 20}),
                       (f"/api/inspections/{insp}/finish", None)):
        done = await scene.call(scene.inspector, "POST", path, json=body)
        assert done.status_code == 200, done.text
    await page.fill("#places", "20")
    await page.click("#finish-submit")
    await page.wait_for_selector("#counts-form .error:not([hidden])")
    refusal = await page.inner_text("#counts-form .error")
    assert refusal == "Әрекет орындалмады. Қазіргі күйде бұл мүмкін емес.", refusal

    await page.goto(f"/#/inspections/{insp}/finish")
    await page.wait_for_selector("#finish-status.status-finished")
    await page.click("[data-lang='en']")
    en = await _texts_on(page, "#results", "document.querySelector(\"#results li[data-check='duration'] "
                         ".finding\")?.textContent.includes('too short')")
    assert "8 s recorded, 20 s required" in en and "144 s" in en, en
    assert not CYRILLIC.search(en) and not any(d in en for d in server_details), en
    await shot(page, "42-finish-checks-en")

    # the head's gate list, in kk and en: reasons from codes, none of the server's details
    gate = await scene.call("head.alakol", "GET", f"/api/declarations/{decl_id}/gate")
    details = [c["detail"] for c in gate.json()["conditions"] if c.get("detail")]
    assert details, gate.text
    desk = await context.browser.new_context(base_url=server.url, locale="ru-RU", service_workers="allow")
    head = await desk.new_page()
    errors += await sign_in_as(head, "head.alakol", "#/board")
    await head.goto(f"/#/declarations/{decl_id}")
    await head.wait_for_selector(".gate-item[data-code='evidence_valid']")
    for lang in ("kk", "en"):
        before = json.dumps(await head.inner_text("#gate-card"))
        await head.click(f"[data-lang='{lang}']")
        text = await _texts_on(head, "#gate-card", "(() => { const c = document.querySelector("
                               f"'#gate-card'); return c && c.querySelector('.gate-detail') && "
                               f"c.innerText !== {before}; }})()")
        shown = await head.eval_on_selector_all(".gate-item .gate-detail", "els => els.map(e => e.textContent)")
        from_codes = await head.evaluate("""async (conds) => {
          const m = await import('/js/views/release.js');
          return conds.map((c) => m.conditionReason(c));
        }""", gate.json()["conditions"])
        assert shown == from_codes and all(shown), (lang, shown)
        assert all(c.get("reason") for c in gate.json()["conditions"])
        # in kk none of the server's English details; in en not its machine summaries
        leaked = [d for d in details if d in text and (lang == "kk" or "(" in d)]
        assert leaked == [], (lang, leaked, text)
        if lang == "en":
            name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
            assert not CYRILLIC.search(text.replace(name, "")), text
    await desk.close()
    assert not errors, errors
