"""Refused recordings stay on the tablet and say why: first because the tablet is not approved
yet (it goes through by itself once the post head approves it), then because a stored chunk was
altered after it was hashed (the server recomputes the chain and refuses it)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Scene, chunk_count, record_phase, shot, sign_in, wait_takes

TAMPER_JS = """async (cid) => {
  const db = await import('/js/db.js');
  const chunk = (await db.chunksOf(cid))[1];
  const bytes = new Uint8Array(await chunk.data.arrayBuffer());
  bytes[bytes.length >> 1] ^= 0xff;   // same size, one byte flipped
  await db.putChunk(cid, chunk.i, new Blob([bytes], { type: chunk.data.type }), chunk.t);
  return bytes.length;
}"""


def _state(ts: list[dict[str, Any]], phase: str) -> tuple[str | None, str | None]:
    take = next((t for t in ts if t["phase"] == phase), None)
    if take is None:
        return None, None
    return take["state"], (take.get("error") or {}).get("code")


async def test_refused_recordings_stay_with_their_reason(context: Any, scene: Scene, db: Any) -> None:
    page = await context.new_page()
    await sign_in(page, scene.inspector)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    await page.wait_for_selector("[data-record=exterior]")

    # 1. The device is still awaiting approval: the server refuses, the take stays.
    await record_phase(page, scene.inspection_id, "exterior", 2.5)
    ts = await wait_takes(page, lambda ts: _state(ts, "exterior") == ("refused", "device_not_approved"),
                          what="exterior refused: device not approved")
    exterior = ts[0]
    assert await chunk_count(page, exterior["client_id"]) == len(exterior["chunks"]) > 0
    reason = page.locator(f"[data-client-id='{exterior['client_id']}'] .error[data-code=device_not_approved]")
    assert "не подтверждён" in await reason.inner_text()
    await shot(page, "11-refused-device-not-approved")

    # 2. Recorded offline; a chunk is altered in IndexedDB before the upload.
    await context.set_offline(True)
    await record_phase(page, scene.inspection_id, "unloading", 3)
    ts = await wait_takes(page, lambda ts: _state(ts, "unloading")[0] in ("queued", "uploading"),
                          what="unloading queued while offline")
    unloading = next(t for t in ts if t["phase"] == "unloading")
    assert await page.evaluate(TAMPER_JS, unloading["client_id"]) > 0
    # Background Sync is asked to wake the service worker when the network is back.
    tags = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
    assert tags == ["outbox"]

    await scene.approve_device(db)
    await context.set_offline(False)
    ts = await wait_takes(
        page, lambda ts: _state(ts, "exterior")[0] == "verified"
        and _state(ts, "unloading") == ("refused", "chain_mismatch"),
        timeout=60, what="exterior re-sent after approval, unloading refused")

    unloading = next(t for t in ts if t["phase"] == "unloading")
    assert await chunk_count(page, unloading["client_id"]) == len(unloading["chunks"])
    assert "chunk 1" in unloading["error"]["detail"]
    refusal = await db.fetchrow("SELECT code, phase FROM refused_recordings WHERE client_id = $1",
                                unloading["client_id"])
    assert refusal["code"] == "chain_mismatch" and refusal["phase"] == "unloading"
    assert await db.fetchval("SELECT count(*) FROM recordings WHERE client_id = $1",
                             unloading["client_id"]) == 0
    exterior_rows = await db.fetchval("SELECT count(*) FROM recordings WHERE client_id = $1",
                                      exterior["client_id"])
    assert exterior_rows == 1
    await page.wait_for_selector(
        f"[data-client-id='{unloading['client_id']}'] .error[data-code=chain_mismatch]")
    await shot(page, "12-refused-chain-mismatch")
