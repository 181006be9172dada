"""A take cut short by a crash (the page dies mid-recording, nothing is stopped) is finalised on the
next start from the chunks already in IndexedDB, marked `interrupted`, and uploaded; a take whose
camera is taken away (an incoming call ends the video track) is kept, flagged and uploaded too."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.browser.conftest import Scene, shot, sign_in, takes, wait_takes
from tests.browser.evidence import check_evidence

# Keeps the camera streams reachable so the test can end a track the way a call would.
KEEP_STREAMS_JS = """
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__streams = [];
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await gum(c); window.__streams.push(s); return s; };
"""
CALL_JS = "window.__streams.at(-1).getVideoTracks()[0].dispatchEvent(new Event('ended'))"


async def test_a_crashed_take_is_finalised_and_uploaded(context: Any, scene: Scene, db: Any) -> None:
    page = await context.new_page()
    await page.add_init_script(KEEP_STREAMS_JS)
    await sign_in(page, scene.inspector)
    device_id = await scene.approve_device(db)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    await page.click("[data-record=recount]")
    await page.wait_for_selector("#start:not([disabled])", timeout=15000)
    await page.click("#start")
    await page.wait_for_selector("#tap-place")
    await page.click("#tap-place")
    await asyncio.sleep(0.5)
    await page.click("#tap-place")
    live = await wait_takes(page, lambda ts: len(ts) == 1 and len(ts[0]["chunks"]) >= 2, timeout=20,
                            what="two chunks stored while recording")
    assert live[0]["state"] == "recording"

    # The crash: the page goes away with the recorder running; nothing is stopped or queued.
    await page.reload()
    done = await wait_takes(page, lambda ts: len(ts) == 1 and ts[0]["state"] == "verified", timeout=60,
                            what="the interrupted take recovered and verified")
    take = done[0]
    assert take["client_id"] == live[0]["client_id"] and take["interrupted"] is True
    markers = take["manifest"]["markers"]
    assert [m["kind"] for m in markers] == ["place", "place", "interrupted"]
    last_chunk_t = max(c["t"] for c in take["chunks"])
    assert markers[-1]["t"] == last_chunk_t
    rec = await check_evidence(scene, db, take, device_id)
    assert rec["manifest"]["markers"] == markers

    # A call takes the camera in the middle of the exterior take.
    await page.goto(f"/#/inspections/{scene.inspection_id}")
    await page.click("[data-record=exterior]")
    await page.wait_for_selector("#start:not([disabled])", timeout=15000)
    await page.click("#start")
    await wait_takes(page, lambda ts: any(t["phase"] == "exterior" and len(t["chunks"]) >= 1 for t in ts),
                     timeout=20, what="a chunk of the exterior take")
    await page.evaluate(CALL_JS)
    await page.wait_for_selector("#back-to-inspection")
    assert "прервана" in await page.inner_text(".card.ok")
    done = await wait_takes(page, lambda ts: len(ts) == 2 and all(t["state"] == "verified" for t in ts),
                            timeout=60, what="the exterior take cut by a call verified")
    exterior = next(t for t in done if t["phase"] == "exterior")
    assert exterior["interrupted"] and exterior["manifest"]["markers"][-1]["kind"] == "interrupted"
    await check_evidence(scene, db, exterior, device_id)

    await page.click("#back-to-inspection")
    await page.wait_for_selector(f"[data-client-id='{take['client_id']}'] .note.warn")
    await shot(page, "13-interrupted-takes")
    assert len(await takes(page)) == 2
