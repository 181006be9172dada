"""The worker end to end: a registered recording is validated from the queue, the report is
stored once, renditions sit beside the original, a bad file fails without retries, a job left
by a dead worker is picked up again, and the release gate follows the verdict."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.recordings.manifest import chain_head
from media_pipeline.worker import RecordingValidator, run_worker
from tests import media
from tests.recordings.conftest import scene  # noqa: F401  (fixture)
from tests.recordings.kit import new_client_id, signed_registration, upload_chunks


def _manifest(device_id: str, data: bytes, chunk: int, duration: float) -> tuple[dict[str, Any], list[bytes]]:
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    digests = [hashlib.sha256(c).hexdigest() for c in chunks]
    end = datetime.now(UTC) - timedelta(seconds=5)
    return {
        "device_id": device_id, "mime": "video/mp4", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "recorded_from": (end - timedelta(seconds=duration)).isoformat(),
        "recorded_to": end.isoformat(),
        "chunks": [{"i": i, "size": len(c), "sha256": d} for i, (c, d) in enumerate(zip(chunks, digests))],
        "chain_head": chain_head(digests),
        "track": [{"t": min(float(t), duration), "lat": 46.165 + 1e-5 * (t % 3), "lon": 81.629,
                   "acc": 7.0 + t % 2} for t in range(0, int(duration) + 5, 5)],
        "markers": [],
    }, chunks


async def _register(client, scene, name: str, phase: str = "unloading") -> dict[str, Any]:  # noqa: F811
    data = Path(media.recording(name)).read_bytes()
    manifest, chunks = _manifest(scene.tablet.device_id, data, 64 * 1024, 30.0)
    cid = new_client_id()
    upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, phase, cid, chunks)
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings",
                             json=signed_registration(scene.tablet, cid, phase, upload_id, manifest),
                             headers=scene.inspector)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


@pytest.fixture
async def short_policy(db) -> None:
    # The test videos last 30 s; the demo policy wants minutes.
    await db.execute("""UPDATE posts SET policy = jsonb_set(policy, '{min_seconds}',
        '{"exterior": {"fixed": 5}, "unloading": {"fixed": 10, "per_place": 0},
          "recount": {"fixed": 10}, "opening": {"fixed": 10}}'::jsonb) WHERE code = 'ALAKOL'""")


async def _drain(app, db_url: str, tmp_path: Path, models=None) -> None:  # type: ignore[no-untyped-def]
    await asyncio.wait_for(
        run_worker(db_url, app.state.store, models, tmp_path / "work", concurrency=1, drain=True), 120)


async def test_worker_validates_from_the_queue(client, scene, app, db, db_url, tmp_path, short_policy) -> None:  # noqa: F811
    from tests.media_pipeline.test_validate import real_models

    rec = await _register(client, scene, "unloading.mp4")
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'validate_recording'") == 1
    await _drain(app, db_url, tmp_path, real_models())
    got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
    assert got["state"] == "validated", got["validation"]
    report = got["validation"]
    assert report["verdict"] in ("pass", "warn")
    names = {c["name"] for c in report["checks"]}
    assert {"probe", "integrity", "duration", "continuity", "geotag", "completeness"} <= names
    assert {m["name"] for m in report["models"]} >= {"bay_occupancy"}
    kinds = {r["kind"] for r in await db.fetch("SELECT kind FROM renditions WHERE recording_id = $1", rec["id"])}
    assert kinds == {"video", "poster", "contact_sheet"}
    player = await client.get(f"/api/recordings/{rec['id']}/stream/video.mp4",
                              headers={**scene.head, "Range": "bytes=0-1023"})
    assert player.status_code == 206 and player.headers["content-type"] == "video/mp4"
    assert player.content[4:8] == b"ftyp"
    poster = await client.get(f"/api/recordings/{rec['id']}/stream/poster.jpg", headers=scene.head)
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
    original = await client.get(f"/api/recordings/{rec['id']}/video", headers=scene.head)
    assert original.content == Path(media.recording("unloading.mp4")).read_bytes()  # untouched
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'validate_recording'") == 0
    view = (await client.get(f"/api/inspections/{scene.inspection_id}", headers=scene.head)).json()
    unloading = next(p for p in view["phases"] if p["phase"] == "unloading")
    assert unloading["verdict"] == report["verdict"]
    gate = (await client.get(f"/api/declarations/{view['declaration_id']}/gate", headers=scene.head)).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert "unloading: validation" not in evidence["detail"] and "unloading: no recording" not in evidence["detail"]


async def test_running_a_job_twice_keeps_one_report(client, scene, app, db, db_url, tmp_path, short_policy) -> None:  # noqa: F811
    from backend.db.pool import open_pool

    rec = await _register(client, scene, "short.mp4")
    pool = await open_pool(db_url, max_size=2)  # the app's pool lives on the test client's loop
    try:
        validator = RecordingValidator(pool, app.state.store, None, tmp_path)
        first = await validator.validate_recording(rec["id"])
        assert first is not None
        second = await validator.validate_recording(rec["id"])
        assert second is None
    finally:
        await pool.close()
    assert await db.fetchval("SELECT count(*) FROM validation_reports WHERE recording_id = $1", rec["id"]) == 1
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'recording.validated' AND object_id = $1", rec["id"]) == 1


async def test_bad_file_is_a_fail_report_not_a_retry(client, scene, app, db, db_url, tmp_path, short_policy) -> None:  # noqa: F811
    rec = await _register(client, scene, "not_video.mp4")
    await _drain(app, db_url, tmp_path)
    got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
    assert got["state"] == "failed"
    probe = next(c for c in got["validation"]["checks"] if c["name"] == "probe")
    assert probe["verdict"] == "fail"
    assert await db.fetchval("SELECT count(*) FROM pgqueuer") == 0
    alerts = (await client.get("/api/alerts", headers=scene.head)).json()
    assert [a["kind"] for a in alerts].count("validation_failed") == 1
    declaration_id = await db.fetchval("SELECT declaration_id FROM inspections WHERE id = $1",
                                       got["inspection_id"])
    gate = (await client.get(f"/api/declarations/{declaration_id}/gate", headers=scene.head)).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert evidence["met"] is False and "unloading: probe fail" in evidence["detail"]
    assert evidence["reason"] == "no_recording"  # the first problem names it: exterior first
    # the checks that could not run on an unreadable file say so, and the report has them all
    checks = {c["name"]: c for c in got["validation"]["checks"]}
    assert checks["completeness"]["verdict"] == "unavailable"
    assert checks["completeness"]["code"] == "not_run_unreadable"


async def test_short_take_fails_duration_and_alerts(client, scene, app, db, db_url, tmp_path) -> None:  # noqa: F811
    rec = await _register(client, scene, "short.mp4")  # 8 s against the demo policy's minutes
    await _drain(app, db_url, tmp_path)
    got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
    duration = next(c for c in got["validation"]["checks"] if c["name"] == "duration")
    assert duration["verdict"] == "fail"
    kinds = [a["kind"] for a in (await client.get("/api/alerts", headers=scene.head)).json()]
    assert kinds.count("phase_too_short") == 1


async def test_job_of_a_dead_worker_is_picked_up_again(client, scene, app, db, db_url, tmp_path, short_policy) -> None:  # noqa: F811
    rec = await _register(client, scene, "short.mp4")
    # What a worker killed mid-job leaves behind: the job picked, its heartbeat going stale.
    await db.execute("UPDATE pgqueuer SET status = 'picked', heartbeat = now() - interval '10 minutes', "
                     "queue_manager_id = gen_random_uuid()")
    await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "w", concurrency=1,
                                      drain=True, heartbeat_timeout=timedelta(seconds=5)), 120)
    assert await db.fetchval("SELECT count(*) FROM validation_reports WHERE recording_id = $1", rec["id"]) == 1
