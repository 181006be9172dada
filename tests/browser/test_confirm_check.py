"""The post head confirms an advisory check in Chromium, on evidence made as in production (a
signed recording of generated media, validated by the worker with the shipped, unproven bay
model): the recording's report offers the confirmation, the screen shows the first seconds
beside the last (reached from the report and from the gate), one tap confirms, the gate's evidence_valid is met without an override, and
the auditor's trail shows `check.attested`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from backend.storage.factory import open_store
from media_pipeline.validate import models_from_registry
from media_pipeline.vision.registry import ModelRegistry
from media_pipeline.worker import run_worker
from tests.browser.conftest import LANDSCAPE, assert_touch_targets, make_scene, shot, wait_js
from tests.browser.desk import register_recording, sign_in_as

ALAKOL = (46.1650, 81.6290)
ONLY_UNLOADING = """UPDATE posts SET policy = jsonb_set(policy, '{required_phases,import,red}',
    '["unloading"]'::jsonb) WHERE code = 'ALAKOL'"""


async def _validate(db_url: str, data_dir: Path) -> None:
    """The worker with the shipped models over the server's own store, until the queue is empty."""
    store = open_store(str(data_dir / "objects"), data_dir)
    models = models_from_registry(ModelRegistry(threads=1), with_ocr=False)
    await asyncio.wait_for(run_worker(db_url, store, models, data_dir / "work", concurrency=1, drain=True), 150)


async def test_head_confirms_the_empty_bay_and_the_gate_accepts_it(context: Any, browser: Any, server: Any, tokens: Any,
                                                                    db: Any, db_url: str) -> None:
    scene = await make_scene(server, tokens, db)
    await db.execute(ONLY_UNLOADING)
    started = await scene.call(scene.inspector, "POST", f"/api/inspections/{scene.inspection_id}/start")
    assert started.status_code == 200, started.text
    rec = await register_recording(server, tokens, scene.inspector, "head.alakol", scene.inspection_id,
                                   "unloading", "unloading.mp4", ALAKOL, [])
    await _validate(db_url, server.data_dir)
    decl_id = scene.declaration["id"]
    gate = (await scene.call("head.alakol", "GET", f"/api/declarations/{decl_id}/gate")).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert not evidence["met"], evidence  # the unproven model cannot pass the unloading

    page = await context.new_page()
    await page.set_viewport_size(LANDSCAPE)
    errors = await sign_in_as(page, "head.alakol", "#/board")
    # the recording's report offers it, and so does the gate on the declaration's screen
    await page.goto(f"/#/recordings/{rec['id']}")
    await page.wait_for_selector(".report-check[data-check='completeness'] .confirm-link")
    await page.goto(f"/#/declarations/{decl_id}")
    await page.click(".gate-item[data-code='evidence_valid'] .confirm-link")
    await wait_js(page, f"location.hash === '#/recordings/{rec['id']}/confirm/completeness'")
    await page.wait_for_selector("#confirm-advisory")
    await wait_js(page, "[...document.querySelectorAll('.confirm-frame')].filter(i => i.naturalWidth > 0).length === 4")
    roles = await page.locator(".confirm-frame").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles == ["start", "start", "end", "end"]
    # first seconds and last seconds side by side
    boxes = [await page.locator(f".confirm-group[data-role='{r}']").bounding_box() for r in ("start", "end")]
    assert boxes[0] and boxes[1] and boxes[0]["x"] < boxes[1]["x"] and abs(boxes[0]["y"] - boxes[1]["y"]) < 5
    await shot(page, "40-head-confirm-check")
    await assert_touch_targets(page)

    # rejecting needs a reason: the box opens and refuses an empty one; then the head confirms
    await page.click("#confirm-no")
    await page.wait_for_selector("#confirm-reject-box:not([hidden])")
    await page.click("#confirm-reject-send")
    await page.wait_for_selector("#confirm-error:not([hidden])")
    await page.click("#confirm-yes")
    await page.wait_for_selector("#confirm-answer[data-decision='confirmed']")
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    assert head_name in await page.inner_text("#confirm-answer")

    gate = (await scene.call("head.alakol", "GET", f"/api/declarations/{decl_id}/gate")).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert evidence["met"], evidence
    assert await db.fetchval("SELECT count(*) FROM release_decisions WHERE declaration_id = $1", decl_id) == 0

    # the auditor, in a browser profile of their own, reads it in the recording's audit trail
    desk = await browser.new_context(base_url=server.url, viewport=LANDSCAPE, locale="ru-RU",
                                     service_workers="allow")
    try:
        auditor = await desk.new_page()
        errors += await sign_in_as(auditor, "auditor", "#/search")
        await auditor.goto(f"/#/recordings/{rec['id']}")
        await auditor.wait_for_selector("#audit-trail tr[data-action='check.attested']")
        assert await auditor.locator("#audit-trail tr[data-action*='override']").count() == 0
    finally:
        await desk.close()
    assert not errors, errors
