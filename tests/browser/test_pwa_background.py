"""Background Sync: a take queued while offline reaches the server after the app was closed —
the service worker wakes on the sync event and drains the outbox with no page open."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.conftest import Scene, record_phase, sign_in, wait_takes


async def test_the_service_worker_uploads_with_the_app_closed(context: Any, scene: Scene, db: Any) -> None:
    page = await context.new_page()
    await sign_in(page, scene.inspector)
    await scene.approve_device(db)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    await page.wait_for_selector("[data-record=exterior]")
    await context.set_offline(True)
    await record_phase(page, scene.inspection_id, "exterior", 2.5)
    ts = await wait_takes(page, lambda ts: len(ts) == 1 and ts[0]["state"] in ("queued", "uploading"),
                          what="the take queued while offline")
    client_id = ts[0]["client_id"]
    assert await page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())") == ["outbox"]
    await page.close()  # no window of the app is left

    await context.set_offline(False)
    for _ in range(100):
        row = await db.fetchrow("SELECT sha256 FROM recordings WHERE client_id = $1", client_id)
        if row is not None:
            break
        await asyncio.sleep(0.3)
    assert row is not None, "the service worker did not upload the take"
    assert row["sha256"] == ts[0]["sha256"]

    # The next time the app opens, the take is a receipt and its bytes are gone.
    page = await context.new_page()
    await page.goto("/#/inspections")
    done = await wait_takes(page, lambda ts: ts[0]["state"] == "verified", what="the receipt")
    assert done[0]["receipt"]["sha256"] == row["sha256"]
