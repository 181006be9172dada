"""GPS on a tablet standing still, in Chromium with a fixed geolocation: the fix is sought as
soon as the record screen opens; while recording, «Назад» and «Выйти» are not offered; the take
carries a point at least every 5 s (repeats of the one fix Chromium reports, with its fix time),
and the worker's `geotag` passes it end to end under a policy that allows 6 s without a point."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.browser.conftest import Scene, shot, sign_in, wait_takes
from tests.browser.desk import drain_worker
from tests.browser.evidence import server_recording

TIGHT_TRACK = """UPDATE posts SET policy = policy || '{"track_gap_s": 6, "track_edge_s": 3}'::jsonb
                 WHERE code = $1"""
TAKE_S = 14


async def test_a_stationary_tablet_passes_geotag(context: Any, scene: Scene, db: Any,
                                                 db_url: str) -> None:
    await db.execute(TIGHT_TRACK, scene.post)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await sign_in(page, scene.inspector)
    await page.wait_for_selector("#device-banner[data-status=pending]")
    await scene.approve_device(db)
    await page.wait_for_selector("#device-banner[data-status=approved]", state="hidden", timeout=15000)
    await page.click(f"[data-id='{scene.inspection_id}']")
    await page.click("#start-inspection")
    await page.click("[data-record=exterior]")

    # the fix before «Начать запись»
    await page.wait_for_selector("#gps[data-state=fix]", timeout=15000)
    await page.wait_for_selector("#start:not([disabled])", timeout=15000)
    assert await page.get_attribute("#record-back", "href")
    assert await page.is_enabled("#logout")

    await page.click("#start")
    await page.wait_for_selector("#stop:not([hidden])")
    assert await page.get_attribute("#record-back", "aria-disabled") == "true"
    assert await page.get_attribute("#record-back", "href") is None
    assert not await page.is_enabled("#logout")
    await shot(page, "gps-recording-standing-still", full_page=False)
    await asyncio.sleep(TAKE_S)
    await page.click("#stop")
    await page.wait_for_selector("#back-to-inspection", timeout=15000)
    assert await page.get_attribute("#record-back", "href")
    assert await page.is_enabled("#logout")

    [take] = await wait_takes(page, lambda ts: len(ts) == 1 and ts[0]["state"] == "verified",
                              what="the take uploaded")
    track = take["track"]
    times = [p["t"] for p in track]
    assert times[0] <= 1.0 and times[-1] >= TAKE_S - 1, times
    assert max(b - a for a, b in itertools.pairwise(times)) <= 5.5, times
    repeats = [p for p in track if "fix_t" in p]
    assert repeats, track  # Chromium reported the fixed position once: the rest repeat it
    assert all(p["fix_t"] <= p["t"] for p in repeats)
    assert len({p["fix_t"] for p in repeats}) == 1

    await drain_worker(db_url, scene.server.data_dir)
    rec = await server_recording(scene, db, take["client_id"])
    assert [p["t"] for p in rec["manifest"]["track"]] == times
    geotag = next(c for c in rec["validation"]["checks"] if c["name"] == "geotag")
    assert geotag["verdict"] == "pass", geotag
    assert geotag["code"] == "track_ok" and geotag["params"]["fixes"] < len(track)
    assert not errors, errors


TRACK_JS = """async () => {
  const { GeoWatch, Track } = await import('/js/geo.js');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const geo = new GeoWatch();
  geo.start = () => {};  // the receiver is driven by hand here
  const started = Date.now();
  const at = (lat, ms) => ({ coords: { latitude: lat, longitude: 81.629, accuracy: 12.3 }, timestamp: ms });
  geo.fix(at(46.165, started - 20000));  // held from before the take
  const points = [];
  const track = new Track(started, geo, (p) => { if (p) points.push(p); });
  track.start();
  await sleep(5800);
  geo.fix(at(46.1651, Date.now()));  // a fresh fix: the tablet moved a little
  await sleep(6600);  // one repeat of it, about 5 s later
  geo.fail({ code: 2 });  // the fix is lost: nothing to repeat
  await sleep(5600);
  track.finish(Date.now());
  track.stop();
  return points;
}"""


async def test_the_track_repeats_the_last_fix_and_stops_when_it_is_lost(context: Any, server: Any) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.wait_for_selector("#login")
    points = await page.evaluate(TRACK_JS)
    first, repeat, fresh, again = points[:4]
    assert first["t"] <= 0.2 and -20.5 < first["fix_t"] < -19.5 and first["acc"] == 12.3
    assert 4.5 < repeat["t"] < 6 and repeat["fix_t"] == first["fix_t"]
    assert "fix_t" not in fresh and fresh["lat"] == 46.1651 and 5.5 < fresh["t"] < 7
    assert again["fix_t"] == fresh["t"] and again["t"] - fresh["t"] >= 4.9
    # once the fix is lost nothing is recorded: the server sees the gap
    assert len(points) == 4, points
