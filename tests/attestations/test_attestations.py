"""A person confirms, not the override: the post head answers an advisory check of the latest
report, sees the frames the worker stored for it, and the answer is an audited attestation
and a labelled training example. The rules are swept on reports stored as the worker stores
them; one test runs the real worker (ffmpeg, onnxruntime) to make the report and its frames."""

from __future__ import annotations

from typing import Any

from contract.report import build_report, result
from media_pipeline import jobs_repo
from tests.media_pipeline.test_validate import real_models
from tests.media_pipeline.test_worker import _drain, _register, short_policy  # noqa: F401
from tests.recordings.conftest import scene  # noqa: F401  (fixture)


def _report(needs_confirmation: bool = True, code: str = "bay_empty_unconfirmed") -> Any:
    common = [result(n, "pass", 1.0, 1.0, "ok") for n in
              ("probe", "integrity", "duration", "continuity", "geotag")]  # fmt: skip
    completeness = result(
        "completeness", "warn", 0.9, 0.5, "advisory: the bay model says empty", [(0, 6), (24, 30)],
        code=code, params={"p_empty_end": 0.9}, needs_confirmation=needs_confirmation,
    )  # fmt: skip
    return build_report([*common, completeness])


async def _with_report(db, rec_id: str, report: Any, version: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert await jobs_repo.store_report(db, rec_id, report, version)


def _url(rec_id: str, check: str = "completeness") -> str:
    return f"/api/recordings/{rec_id}/checks/{check}"


async def test_head_confirms_and_it_is_an_attestation_not_an_override(client, scene, db, auth) -> None:  # noqa: F811
    rec = await _register(client, scene, "unloading.mp4")
    await _with_report(db, rec["id"], _report())
    view = (await client.get(_url(rec["id"]) + "/frames", headers=scene.head)).json()
    assert view["needs_confirmation"] and view["may_attest"] and view["attestation"] is None
    assert view["code"] == "bay_empty_unconfirmed" and view["report_version"] == 1

    resp = await client.post(_url(rec["id"]) + "/attestation", json={"decision": "confirmed"},
                             headers=scene.head)
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["decision"] == "confirmed" and out["report_version"] == 1
    assert out["actor"]["name"] and out["check"] == "completeness"

    events = (await client.get("/api/audit", params={"object_type": "recording",
                                                     "object_id": rec["id"]},
                               headers=await auth("auditor"))).json()
    actions = [e["action"] for e in events]
    assert "check.attested" in actions and not any("override" in a for a in actions)
    row = await db.fetchrow("SELECT label, check_name, post_code, model_code FROM training_examples")
    assert dict(row) == {"label": "empty_at_end", "check_name": "completeness",
                         "post_code": "ALAKOL", "model_code": "bay_empty_unconfirmed"}
    again = await client.post(_url(rec["id"]) + "/attestation", json={"decision": "rejected",
                              "reason": "груз в кузове"}, headers=scene.head)  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "already_attested"
    view = (await client.get(_url(rec["id"]) + "/frames", headers=scene.head)).json()
    assert view["attestation"]["decision"] == "confirmed" and not view["may_attest"]


async def test_rejection_needs_a_reason_and_alerts_auditors(client, scene, db, auth) -> None:  # noqa: F811
    rec = await _register(client, scene, "unloading.mp4")
    await _with_report(db, rec["id"], _report(code="bay_not_empty_unconfirmed"))
    for body in ({"decision": "rejected"}, {"decision": "rejected", "reason": "   "}):
        resp = await client.post(_url(rec["id"]) + "/attestation", json=body, headers=scene.head)
        assert resp.status_code == 422 and resp.json()["code"] == "reason_required"
    resp = await client.post(_url(rec["id"]) + "/attestation",
                             json={"decision": "rejected", "reason": "в кузове остались ящики"},
                             headers=scene.head)  # fmt: skip
    assert resp.status_code == 201, resp.text
    alerts = (await client.get("/api/alerts", headers=await auth("auditor"))).json()
    assert any(a["code"] == "check_rejected" and a["object_id"] == rec["id"] for a in alerts)
    assert await db.fetchval("SELECT label FROM training_examples") == "not_empty_at_end"


async def test_who_may_attest_and_what(client, scene, db, auth) -> None:  # noqa: F811
    rec = await _register(client, scene, "unloading.mp4")
    url = _url(rec["id"]) + "/attestation"
    ok = {"decision": "confirmed"}
    # no report yet, then a report whose check needs nobody
    resp = await client.post(url, json=ok, headers=scene.head)
    assert resp.status_code == 409 and resp.json()["code"] == "nothing_to_confirm"
    await _with_report(db, rec["id"], _report(needs_confirmation=False))
    resp = await client.post(url, json=ok, headers=scene.head)
    assert resp.status_code == 409 and resp.json()["code"] == "nothing_to_confirm"
    # a newer version asks: only the latest version's check can be answered
    await _with_report(db, rec["id"], _report(), version=2)
    for headers, status in ((scene.inspector, 403), (await auth("auditor"), 403),
                            (await auth("head.altynkol"), 404)):  # fmt: skip
        resp = await client.post(url, json=ok, headers=headers)
        assert resp.status_code == status, resp.text
    resp = await client.post(_url(rec["id"], "no_such") + "/attestation", json=ok, headers=scene.head)
    assert resp.status_code == 404
    bad = await client.post(url, json={"decision": "maybe"}, headers=scene.head)
    assert bad.status_code == 400
    # the head who was also made an inspector of this declaration may not attest
    head_id = await db.fetchval("SELECT id FROM users WHERE login = 'head.alakol'")
    await db.execute("UPDATE inspections SET inspector_id = $1 WHERE id = $2", head_id,
                     scene.inspection_id)
    resp = await client.post(url, json=ok, headers=scene.head)
    assert resp.status_code == 403 and resp.json()["code"] == "attester_is_inspector"
    assert await db.fetchval("SELECT count(*) FROM check_attestations") == 0


async def test_worker_stores_the_frames_the_head_sees(client, scene, app, db, db_url, tmp_path, auth, short_policy) -> None:  # noqa: F811
    rec = await _register(client, scene, "unloading.mp4")
    await _drain(app, db_url, tmp_path, real_models())
    view = (await client.get(_url(rec["id"]) + "/frames", headers=scene.head)).json()
    assert view["needs_confirmation"] and view["verdict"] == "warn", view
    roles = [f["role"] for f in view["frames"]]
    assert roles == ["start", "start", "end", "end"]
    first, last = view["frames"][0], view["frames"][-1]
    assert first["t"] < 6.0 and last["t"] > 24.0
    img = await client.get(first["url"], headers=scene.head)
    assert img.status_code == 200 and img.content[:2] == b"\xff\xd8"
    assert img.headers["content-type"] == "image/jpeg"
    other = await client.get(first["url"], headers=await auth("head.altynkol"))
    assert other.status_code == 404
    assert (await client.get(first["url"], headers=scene.inspector)).status_code == 403
    missing = await client.get(_url(rec["id"]) + "/frames/99", headers=scene.head)
    assert missing.status_code == 404
    gate_url = f"/api/declarations/{view['declaration_id']}/gate"
    gate = (await client.get(gate_url, headers=scene.head)).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert not evidence["met"] and "unloading" in evidence["detail"], evidence
    resp = await client.post(_url(rec["id"]) + "/attestation", json={"decision": "confirmed"},
                             headers=scene.head)
    assert resp.status_code == 201
    frames = await db.fetchval("SELECT frames FROM training_examples")
    assert [f["role"] for f in frames] == roles and all(len(f["sha256"]) == 64 for f in frames)
    gate = (await client.get(gate_url, headers=scene.head)).json()
    evidence = next(c for c in gate["conditions"] if c["code"] == "evidence_valid")
    assert "unloading" not in evidence["detail"], evidence
