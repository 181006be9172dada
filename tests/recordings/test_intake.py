"""Evidence intake through the API: tus upload, signed manifest, chain, refusals, versions."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import ec

from tests.recordings.kit import (
    fake_video,
    manifest_for,
    new_client_id,
    signed_announcement,
    signed_registration,
    split,
    tus_create,
    tus_patch,
    upload_chunks,
)

SIZES = [70_000, 90_000, 65_000, 75_000]


async def _record(client, scene, phase="unloading", data=None, chunks=None):  # type: ignore[no-untyped-def]
    data = data if data is not None else fake_video()
    chunks = chunks or split(data, SIZES)
    cid = new_client_id()
    upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, phase, cid, chunks)
    return cid, upload_id, chunks


async def test_record_register_replay_and_read(client, scene, db) -> None:
    cid, upload_id, chunks = await _record(client, scene)
    manifest = manifest_for(scene.tablet.device_id, chunks)
    body = signed_registration(scene.tablet, cid, "unloading", upload_id, manifest)
    url = f"/api/inspections/{scene.inspection_id}/recordings"
    first = await client.post(url, json=body, headers=scene.inspector)
    assert first.status_code == 201, first.text
    rec = first.json()
    assert rec["state"] == "received" and rec["version"] == 1
    assert rec["sha256"] == manifest["sha256"] and rec["manifest"] == manifest
    assert rec["integrity"]["chain_ok"] and rec["integrity"]["signature_ok"]
    assert rec["integrity"]["clock_skew_s"] > 0
    replay = await client.post(url, json=body, headers=scene.inspector)
    assert replay.status_code == 200 and replay.json() == rec
    other = dict(body, phase="recount")
    conflict = await client.post(url, json=other, headers=scene.inspector)
    assert conflict.status_code == 409 and conflict.json()["code"] == "client_id_conflict"
    got = await client.get(f"/api/recordings/{rec['id']}", headers=await _auditor(client))
    assert got.status_code == 200 and got.json()["manifest"]["chain_head"] == manifest["chain_head"]
    view = await client.get(f"/api/inspections/{scene.inspection_id}", headers=scene.inspector)
    unloading = next(p for p in view.json()["phases"] if p["phase"] == "unloading")
    assert unloading["state"] == "received" and unloading["recording_id"] == rec["id"]
    events = await db.fetch("SELECT action FROM audit_events WHERE object_id = $1", rec["id"])
    assert [e["action"] for e in events] == ["recording.registered"]


async def _auditor(client):  # type: ignore[no-untyped-def]
    return {"Authorization": "Bearer test-token-auditor"}


async def test_tampered_chunk_refused_bytes_kept_alert_raised(client, scene, db, app) -> None:
    data = fake_video()
    honest = split(data, SIZES)
    manifest = manifest_for(scene.tablet.device_id, honest)
    tampered = list(honest)
    tampered[2] = bytes([tampered[2][0] ^ 0xFF]) + tampered[2][1:]
    cid = new_client_id()
    upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, "unloading", cid, tampered)
    body = signed_registration(scene.tablet, cid, "unloading", upload_id, manifest)
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings", json=body,
                             headers=scene.inspector)
    assert resp.status_code == 422
    assert resp.json()["code"] == "chain_mismatch" and resp.json()["chunk"] == 2
    refusal = await db.fetchrow("SELECT code, upload_id FROM refused_recordings WHERE client_id = $1", cid)
    assert refusal["code"] == "chain_mismatch" and refusal["upload_id"] == upload_id
    key = await db.fetchval("SELECT store_key FROM uploads WHERE id = $1", upload_id)
    stored = await app.state.store.get_bytes(key)
    assert stored == b"".join(tampered)  # kept for investigation
    alerts = await client.get("/api/alerts", headers=scene.head)
    assert "recording_refused" in [a["kind"] for a in alerts.json()]
    assert await db.fetchval("SELECT count(*) FROM recordings WHERE client_id = $1", cid) == 0


async def test_forged_signature_and_wrong_hash(client, scene) -> None:
    cid, upload_id, chunks = await _record(client, scene)
    manifest = manifest_for(scene.tablet.device_id, chunks)
    forged = signed_registration(scene.tablet, cid, "unloading", upload_id, manifest,
                                 signer=ec.generate_private_key(ec.SECP256R1()))
    url = f"/api/inspections/{scene.inspection_id}/recordings"
    resp = await client.post(url, json=forged, headers=scene.inspector)
    assert resp.status_code == 422 and resp.json()["code"] == "signature_invalid"
    lying = manifest_for(scene.tablet.device_id, chunks, sha256=hashlib.sha256(b"other").hexdigest())
    resp = await client.post(url, json=signed_registration(scene.tablet, cid, "unloading", upload_id, lying),
                             headers=scene.inspector)
    assert resp.status_code == 422 and resp.json()["code"] == "hash_mismatch"
    bad_sizes = manifest_for(scene.tablet.device_id, chunks)
    bad_sizes["chunks"][0]["size"] += 1
    resp = await client.post(url, json=signed_registration(scene.tablet, cid, "unloading", upload_id, bad_sizes),
                             headers=scene.inspector)
    assert resp.status_code == 422 and resp.json()["code"] == "chunk_sizes_mismatch"
    # After refusals, the honest registration of the same bytes still succeeds.
    ok = await client.post(url, json=signed_registration(scene.tablet, cid, "unloading", upload_id, manifest),
                           headers=scene.inspector)
    assert ok.status_code == 201, ok.text


async def test_unapproved_device_refused(client, scene, auth) -> None:
    from tests.recordings.kit import Tablet

    pending = Tablet()
    await pending.register(client, scene.inspector, scene.head, approve=False)
    cid, upload_id, chunks = await _record(client, scene)
    manifest = manifest_for(pending.device_id, chunks)
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings",
                             json=signed_registration(pending, cid, "unloading", upload_id, manifest),
                             headers=scene.inspector)
    assert resp.status_code == 422 and resp.json()["code"] == "device_not_approved"


async def test_second_recording_of_a_phase_is_a_new_version(client, scene) -> None:
    url = f"/api/inspections/{scene.inspection_id}/recordings"
    ids = []
    for seed in (1, 2):
        cid, upload_id, chunks = await _record(client, scene, data=fake_video(seed=seed))
        body = signed_registration(scene.tablet, cid, "unloading", upload_id,
                                   manifest_for(scene.tablet.device_id, chunks))
        resp = await client.post(url, json=body, headers=scene.inspector)
        assert resp.status_code == 201
        ids.append((resp.json()["id"], resp.json()["version"]))
    assert [v for _, v in ids] == [1, 2]
    view = (await client.get(f"/api/inspections/{scene.inspection_id}", headers=scene.head)).json()
    assert sorted(r["id"] for r in view["recordings"]) == sorted(i for i, _ in ids)
    unloading = next(p for p in view["phases"] if p["phase"] == "unloading")
    assert unloading["recording_id"] == ids[1][0]
    for rec_id, _ in ids:
        gone = await client.delete(f"/api/recordings/{rec_id}", headers={"Authorization": "Bearer test-token-admin"})
        assert gone.status_code == 405


async def test_announced_chain_must_match(client, scene, db) -> None:
    data = fake_video(seed=7)
    chunks = split(data, SIZES)
    cid = new_client_id()
    announced = manifest_for(scene.tablet.device_id, split(fake_video(seed=8), SIZES))
    url = f"/api/inspections/{scene.inspection_id}/recordings/{cid}/chain"
    ann = signed_announcement(scene.tablet, scene.inspection_id, cid, "unloading", announced)
    first = await client.post(url, json=ann, headers=scene.inspector)
    assert first.status_code == 201, first.text
    assert (await client.post(url, json=ann, headers=scene.inspector)).status_code == 200
    forged = dict(ann, signature=signed_announcement(scene.tablet, scene.inspection_id, cid, "recount",
                                                      announced)["signature"])
    other_cid = new_client_id()
    bad = await client.post(f"/api/inspections/{scene.inspection_id}/recordings/{other_cid}/chain",
                            json=forged, headers=scene.inspector)
    assert bad.status_code == 422 and bad.json()["code"] == "signature_invalid"
    upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, "unloading", cid, chunks)
    body = signed_registration(scene.tablet, cid, "unloading", upload_id,
                               manifest_for(scene.tablet.device_id, chunks))
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings", json=body,
                             headers=scene.inspector)
    assert resp.status_code == 422 and resp.json()["code"] == "announced_chain_mismatch"


async def test_missing_evidence_after_deadline(client, scene, db, app) -> None:
    from backend.recordings.sweeper import sweep

    cid = new_client_id()
    announced = manifest_for(scene.tablet.device_id, split(fake_video(seed=3), SIZES))
    ann = signed_announcement(scene.tablet, scene.inspection_id, cid, "recount", announced)
    url = f"/api/inspections/{scene.inspection_id}/recordings/{cid}/chain"
    assert (await client.post(url, json=ann, headers=scene.inspector)).status_code == 201
    assert (await sweep(db, app.state.store)).missing_evidence == 0
    await db.execute("UPDATE chain_announcements SET deadline_at = now() - interval '1 minute'")
    assert (await sweep(db, app.state.store)).missing_evidence == 1
    assert (await sweep(db, app.state.store)).missing_evidence == 0  # alerted once
    kinds = [a["kind"] for a in (await client.get("/api/alerts", headers=scene.head)).json()]
    assert kinds.count("missing_evidence") == 1


async def test_only_the_assigned_inspector_uploads(client, scene, auth, db) -> None:
    other = "insp.alakol.2" if scene.inspector_login == "insp.alakol.1" else "insp.alakol.1"
    resp = await tus_create(client, await auth(other), scene.inspection_id, "unloading", new_client_id(), 1000)
    assert resp.status_code == 404
    resp = await tus_create(client, await auth("insp.altynkol.1"), scene.inspection_id, "unloading",
                            new_client_id(), 1000)
    assert resp.status_code == 404
    resp = await tus_create(client, await auth("auditor"), scene.inspection_id, "unloading", new_client_id(), 1000)
    assert resp.status_code == 403
    ok = await tus_create(client, scene.head, scene.inspection_id, "unloading", new_client_id(), 1000)
    assert ok.status_code == 201


async def test_tus_protocol_errors(client, scene, db) -> None:
    insp = scene.inspector
    opts = await client.options("/api/uploads/")
    assert opts.status_code == 204
    assert opts.headers["tus-version"] == "1.0.0"
    assert "termination" not in opts.headers["tus-extension"]
    assert "checksum" in opts.headers["tus-extension"]
    too_big = await tus_create(client, insp, scene.inspection_id, "unloading", new_client_id(), 5 << 30)
    assert too_big.status_code == 413 and too_big.json()["code"] == "upload_too_large"
    empty = await tus_create(client, insp, scene.inspection_id, "unloading", new_client_id(), 0)
    assert empty.status_code == 400 and empty.json()["code"] == "empty_upload"
    no_version = await client.post("/api/uploads/", headers={**insp, "Upload-Length": "10"})
    assert no_version.status_code == 412
    created = await tus_create(client, insp, scene.inspection_id, "unloading", new_client_id(), 100)
    upload_id = created.headers["location"].rsplit("/", 1)[-1]
    assert "upload-expires" in {k.lower() for k in created.headers}
    head = await client.head(f"/api/uploads/{upload_id}", headers={**insp, "Tus-Resumable": "1.0.0"})
    assert head.status_code == 200 and head.headers["upload-offset"] == "0"
    assert head.headers["upload-length"] == "100"
    assert (await tus_patch(client, insp, upload_id, 0, b"a" * 40)).status_code == 204
    wrong = await tus_patch(client, insp, upload_id, 0, b"b" * 10)
    assert wrong.status_code == 409 and wrong.json()["code"] == "offset_mismatch" and wrong.json()["offset"] == 40
    bad_sum = await tus_patch(client, insp, upload_id, 40, b"c" * 10, digest=hashlib.sha256(b"x").digest())
    assert bad_sum.status_code == 460 and bad_sum.json()["code"] == "checksum_mismatch"
    head = await client.head(f"/api/uploads/{upload_id}", headers={**insp, "Tus-Resumable": "1.0.0"})
    assert head.headers["upload-offset"] == "40"  # nothing of the bad PATCH was kept
    over = await tus_patch(client, insp, upload_id, 40, b"d" * 61)
    assert over.status_code == 413 and over.json()["code"] == "upload_length_exceeded"
    wrong_type = await client.patch(f"/api/uploads/{upload_id}", content=b"x", headers={
        **insp, "Tus-Resumable": "1.0.0", "Upload-Offset": "40", "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    done = await tus_patch(client, insp, upload_id, 40, b"e" * 60)
    assert done.status_code == 204 and done.headers["upload-offset"] == "100"
    assert await db.fetchval("SELECT state FROM uploads WHERE id = $1", upload_id) == "complete"
    term = await client.delete(f"/api/uploads/{upload_id}", headers={**insp, "Tus-Resumable": "1.0.0"})
    assert term.status_code == 405 and term.json()["code"] == "termination_refused"
    unknown = await client.head("/api/uploads/nope", headers={**insp, "Tus-Resumable": "1.0.0"})
    assert unknown.status_code == 404
    stale = await tus_create(client, insp, scene.inspection_id, "unloading", new_client_id(), 100)
    stale_id = stale.headers["location"].rsplit("/", 1)[-1]
    await db.execute("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = $1", stale_id)
    gone = await tus_patch(client, insp, stale_id, 0, b"x")
    assert gone.status_code == 410 and gone.json()["code"] == "upload_expired"


async def test_concurrent_patches_do_not_corrupt(client, scene, app, db) -> None:
    import asyncio

    insp = scene.inspector
    created = await tus_create(client, insp, scene.inspection_id, "unloading", new_client_id(), 200_000)
    upload_id = created.headers["location"].rsplit("/", 1)[-1]
    a, b = b"A" * 100_000, b"B" * 100_000
    r1, r2 = await asyncio.gather(tus_patch(client, insp, upload_id, 0, a), tus_patch(client, insp, upload_id, 0, b))
    assert sorted([r1.status_code, r2.status_code]) == [204, 409]
    winner = a if r1.status_code == 204 else b
    rest = await tus_patch(client, insp, upload_id, 100_000, b"C" * 100_000)
    assert rest.status_code == 204
    key = await db.fetchval("SELECT store_key FROM uploads WHERE id = $1", upload_id)
    assert await app.state.store.get_bytes(key) == winner + b"C" * 100_000
