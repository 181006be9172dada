"""Transient is not evidence, end to end: a store that cannot give back the bytes is retried;
the last try stores an `unavailable` report and alerts the head; the head re-runs validation
with a reason (audited) and a new report version is written beside the first."""

from __future__ import annotations

import asyncio

import pytest

from backend.db.pool import open_pool
from backend.storage.factory import open_store
from contract.jobs import ValidateRecording
from media_pipeline.worker import RecordingValidator, StoreReadError, run_worker
from tests.media_pipeline.test_worker import _register, short_policy  # noqa: F401  (fixture)
from tests.recordings.conftest import scene  # noqa: F401  (fixture)


async def test_store_failure_becomes_unavailable_then_revalidation_writes_version_2(
    client, scene, app, db, db_url, tmp_path, auth, short_policy,  # noqa: F811
) -> None:
    rec = await _register(client, scene, "short.mp4")
    job = ValidateRecording(rec["id"])
    empty_store = open_store(str(tmp_path / "no-objects"), tmp_path)  # the bytes are not there
    pool = await open_pool(db_url, max_size=2)
    try:
        validator = RecordingValidator(pool, empty_store, None, tmp_path)
        with pytest.raises(StoreReadError):  # not the last try: raised, so the queue retries
            await validator.run(job, last_try=False)
        assert await db.fetchval("SELECT count(*) FROM validation_report_versions") == 0
        report = await validator.run(job, last_try=True, attempts=6)
    finally:
        await pool.close()
    assert report is not None and report.verdict == "unavailable"
    probe = report.check("probe")
    assert probe is not None and probe.code == "store_unreadable" and probe.params["attempts"] == 6
    assert (report.check("integrity") or probe).verdict == "pass"  # intake's facts still stand

    got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
    assert got["validation"]["verdict"] == "unavailable" and got["validation"]["version"] == 1
    alerts = (await client.get("/api/alerts", headers=scene.head)).json()
    unavailable = [a for a in alerts if a["kind"] == "validation_unavailable"]
    assert len(unavailable) == 1 and unavailable[0]["code"] == "validation_unavailable"
    assert unavailable[0]["params"]["phase"] == "unloading"
    assert "probe" in unavailable[0]["params"]["checks"]
    assert "store_unreadable" in unavailable[0]["params"]["causes"]
    decl_id = await db.fetchval("SELECT declaration_id FROM inspections WHERE id = $1", scene.inspection_id)
    gate = (await client.get(f"/api/declarations/{decl_id}/gate", headers=scene.head)).json()
    valid = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert valid["met"] is False and "unloading: probe unavailable" in valid["detail"]

    url = f"/api/recordings/{rec['id']}/revalidate"
    reason = {"reason": "хранилище снова доступно после сбоя"}
    assert (await client.post(url, json=reason, headers=scene.inspector)).status_code == 403
    other = await client.post(url, json=reason, headers=await auth("head.altynkol"))
    assert other.status_code == 404
    short = await client.post(url, json={"reason": "   "}, headers=scene.head)
    assert short.status_code == 400 and short.headers["content-type"].startswith("application/problem+json")
    missing = await client.post(url, json={}, headers=scene.head)
    assert missing.status_code == 400
    ok = await client.post(url, json=reason, headers=scene.head)
    assert ok.status_code == 202, ok.text
    assert ok.json()["version"] == 2 and ok.json()["state"] == "validating"
    again = await client.post(url, json=reason, headers=await auth("admin"))
    assert again.status_code == 409 and again.json()["code"] == "validation_in_progress"
    event = await db.fetchrow("SELECT actor_id, payload FROM audit_events WHERE action = "
                              "'recording.revalidation_requested' AND object_id = $1", rec["id"])
    assert event["payload"]["reason"] == reason["reason"] and event["payload"]["version"] == 2

    await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "w", concurrency=1,
                                      drain=True), 120)
    got = (await client.get(f"/api/recordings/{rec['id']}", headers=scene.head)).json()
    # now judged for real: the 8 s take is decodable and too short for the 10 s minimum
    assert got["validation"]["version"] == 2 and got["state"] == "failed"
    assert (next(c for c in got["validation"]["checks"] if c["name"] == "duration"))["code"] == "too_short"
    assert (next(c for c in got["validation"]["checks"] if c["name"] == "probe"))["verdict"] == "pass"
    rows = await db.fetch("SELECT version, verdict, reason, requested_by FROM validation_report_versions "
                          "WHERE recording_id = $1 ORDER BY version", rec["id"])
    assert [r["version"] for r in rows] == [1, 2]
    assert rows[0]["verdict"] == "unavailable"  # the first report is kept as it was
    assert rows[1]["reason"] == reason["reason"] and rows[1]["requested_by"] == event["actor_id"]
    # a re-run of the same job writes nothing new
    pool = await open_pool(db_url, max_size=2)
    try:
        again_report = await RecordingValidator(pool, app.state.store, None, tmp_path).run(
            ValidateRecording(rec["id"], version=2), last_try=False)
    finally:
        await pool.close()
    assert again_report is None
