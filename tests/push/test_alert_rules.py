"""Every alert rule fires exactly once per event (however often the request, the sweep or the
job behind it runs again), reaches the right people, and is pushed once to each of their
subscriptions by the worker in drain mode."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.jobs import DeliverPush, enqueue_push
from backend.recordings.manifest import chain_head
from backend.recordings.sweeper import sweep
from tests import media
from tests.helpers import create_declaration
from tests.push.standin import PushService, Subscriber
from tests.push.test_push import subscribe
from tests.recordings.conftest import Scene, scene  # noqa: F401  (fixture)
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


class Phones:
    """A subscribed phone for the ALAKOL and ALTYNKOL heads and for the auditor."""

    def __init__(self, service: PushService) -> None:
        self.service = service
        self.by_login = {login: service.subscriber(login) for login in
                         ("head.alakol", "head.altynkol", "auditor")}

    async def subscribe_all(self, client: Any, auth: Any) -> None:
        for login, sub in self.by_login.items():
            await subscribe(client, await auth(login), sub)

    def pushed(self, login: str) -> list[dict[str, Any]]:
        sub: Subscriber = self.by_login[login]
        return [sub.decrypt(r.body) for r in self.service.to(sub)]


@pytest.fixture
async def phones(client, auth, push_service) -> Phones:  # type: ignore[no-untyped-def]
    p = Phones(push_service)
    await p.subscribe_all(client, auth)
    return p


async def alerts_of(db: Any, kind: str) -> list[Any]:
    return list(await db.fetch("SELECT id, object_id, body, post_code FROM alerts WHERE kind = $1", kind))


async def recipients(db: Any, alert_id: str) -> set[str]:
    rows = await db.fetch("SELECT u.login FROM alert_recipients r JOIN users u ON u.id = r.user_id "
                          "WHERE r.alert_id = $1", alert_id)
    return {r["login"] for r in rows}


async def assert_once(db: Any, phones: Phones, drain: Any, kind: str, logins: set[str]) -> Any:
    """After draining the queue: one alert of `kind`, its recipients are `logins` (of the
    subscribed ones), and (after its push job is queued again, as a crashed worker's retry
    would, and drained again) each of them got exactly one push of it and nobody else did."""
    await drain()
    [alert] = await alerts_of(db, kind)
    assert await recipients(db, alert["id"]) & set(phones.by_login) == logins
    async with db.transaction():
        await enqueue_push(db, DeliverPush(alert_id=alert["id"]))
    await drain()
    for login in phones.by_login:
        got = Counter(p["alert_id"] for p in phones.pushed(login))[alert["id"]]
        assert got == (1 if login in logins else 0), (login, kind)
    return alert


async def sweep_now(db: Any, store: Any, **kw: Any) -> Any:
    for _ in range(50):
        result = await sweep(db, store, **kw)
        if not result.skipped:  # the app's own sweeper may hold the lock at start-up
            return result
    raise AssertionError("the sweeper lock stayed taken")


async def test_inspection_started(client, auth, db, phones, drain) -> None:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    insp = decl["inspection"]["id"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", decl["inspection"]["inspector_id"])
    for _ in range(2):  # a tablet retrying its request
        assert (await client.post(f"/api/inspections/{insp}/start", headers=await auth(login))).status_code == 200
    alert = await assert_once(db, phones, drain, "inspection_started", {"head.alakol"})
    assert alert["object_id"] == insp


async def test_reassigned_inspector(client, auth, db, phones, drain) -> None:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    insp = decl["inspection"]["id"]
    reason = {"reason": "Инспектор заболел, замена по графику"}
    assert (await client.post(f"/api/inspections/{insp}/reassign", json=reason,
                              headers=await auth("head.alakol"))).status_code == 200
    await assert_once(db, phones, drain, "inspector_reassigned", {"head.alakol"})


def _real_manifest(device_id: str, data: bytes, duration: float) -> tuple[dict[str, Any], list[bytes]]:
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    digests = [hashlib.sha256(c).hexdigest() for c in chunks]
    end = datetime.now(UTC) - timedelta(seconds=5)
    return {
        "device_id": device_id, "mime": "video/mp4", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "recorded_from": (end - timedelta(seconds=duration)).isoformat(), "recorded_to": end.isoformat(),
        "chunks": [{"i": i, "size": len(c), "sha256": d} for i, (c, d) in enumerate(zip(chunks, digests))],
        "chain_head": chain_head(digests),
        "track": [{"t": float(t), "lat": 46.165, "lon": 81.629, "acc": 7.0} for t in range(0, int(duration) + 1, 2)],
        "markers": [],
    }, chunks


async def test_short_phase_and_failed_validation(client, scene: Scene, db, phones, drain) -> None:  # noqa: F811
    data = Path(media.recording("short.mp4")).read_bytes()  # 8 s against the demo policy's minutes
    manifest, chunks = _real_manifest(str(scene.tablet.device_id), data, 8.0)
    cid = new_client_id()
    upload = await upload_chunks(client, scene.inspector, scene.inspection_id, "unloading", cid, chunks)
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings",
                             json=signed_registration(scene.tablet, cid, "unloading", upload, manifest),
                             headers=scene.inspector)
    assert resp.status_code == 201, resp.text
    short = await assert_once(db, phones, drain, "phase_too_short", {"head.alakol"})
    failed = await assert_once(db, phones, drain, "validation_failed", {"head.alakol"})
    assert short["object_id"] == failed["object_id"] == resp.json()["id"]
    assert "duration" in failed["body"]  # which check failed


async def test_recording_refused_at_intake(client, scene: Scene, db, phones, drain) -> None:  # noqa: F811
    chunks = split(fake_video(seed=11), [100_000, 100_000])
    cid = new_client_id()
    upload = await upload_chunks(client, scene.inspector, scene.inspection_id, "exterior", cid, chunks)
    body = signed_registration(scene.tablet, cid, "exterior", upload, manifest_for(scene.tablet.device_id, chunks))
    body["signature"] = signed_registration(scene.tablet, cid, "exterior", upload,
                                            manifest_for(scene.tablet.device_id, chunks[:1]))["signature"]
    for _ in range(2):  # the outbox sends it again
        resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings", json=body,
                                 headers=scene.inspector)
        assert resp.status_code == 422, resp.text
    alert = await assert_once(db, phones, drain, "recording_refused", {"head.alakol"})
    assert "signature" in alert["body"]


async def test_expected_evidence_missing(client, scene: Scene, db, app, phones, drain) -> None:  # noqa: F811
    cid = new_client_id()
    announced = manifest_for(scene.tablet.device_id, split(fake_video(seed=5), [100_000]))
    ann = signed_announcement(scene.tablet, scene.inspection_id, cid, "recount", announced)
    url = f"/api/inspections/{scene.inspection_id}/recordings/{cid}/chain"
    assert (await client.post(url, json=ann, headers=scene.inspector)).status_code == 201
    await db.execute("UPDATE chain_announcements SET deadline_at = now() - interval '1 minute'")
    assert (await sweep_now(db, app.state.store)).missing_evidence == 1
    assert (await sweep_now(db, app.state.store)).missing_evidence == 0
    await assert_once(db, phones, drain, "missing_evidence", {"head.alakol", "auditor"})


async def test_upload_stalled(client, scene: Scene, db, app, phones, drain) -> None:  # noqa: F811
    created = await tus_create(client, scene.inspector, scene.inspection_id, "unloading", new_client_id(), None)
    upload = created.headers["location"].rsplit("/", 1)[-1]
    assert (await tus_patch(client, scene.inspector, upload, 0, b"x" * 1000)).status_code == 204
    stall = timedelta(minutes=10)
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 0  # first sight
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 0  # not long yet
    await db.execute("UPDATE upload_progress SET since = now() - interval '11 minutes'")
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 1
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 0
    alert = await assert_once(db, phones, drain, "upload_stalled", {"head.alakol"})
    assert "1000" in alert["body"]
    # It moves again, then stops again: a new event.
    assert (await tus_patch(client, scene.inspector, upload, 1000, b"y" * 500)).status_code == 204
    # the PATCH itself records the move (the board shows progress live), or the sweep sees it
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 0  # moved
    await db.execute("UPDATE upload_progress SET since = now() - interval '11 minutes'")
    assert (await sweep_now(db, app.state.store, stall_after=stall)).stalled_uploads == 1
    assert len(await alerts_of(db, "upload_stalled")) == 2


async def test_idk_suspicion(client, auth, db, phones, drain) -> None:
    from backend.idk.xray import xray_png

    decl = await create_declaration(client, await auth("keden"), post="ALTYNKOL", corridor="green")
    operator = await auth("idk.altynkol")
    form = {"image_id": "RULES-0001", "scanner": "Nuctech", "composition_number": "1",
            "wagon_number": decl["transport"]["wagons"][0], "scanned_at": "2026-11-22T10:15:00+06:00"}
    resp = await client.post("/api/idk/scans", data=form, headers=operator,
                             files={"image": ("s.png", xray_png(3, width=96, height=48, bits=8), "image/png")})
    assert resp.status_code == 201, resp.text
    scan = resp.json()["id"]
    verdict = {"verdict": "suspicion", "risk_areas": [{"x": 1, "y": 1, "w": 10, "h": 10, "note": "плотность"}]}
    assert (await client.post(f"/api/idk/scans/{scan}/verdict", json=verdict, headers=operator)).status_code == 200
    assert (await client.post(f"/api/idk/scans/{scan}/verdict", json=verdict, headers=operator)).status_code == 409
    await assert_once(db, phones, drain, "idk_suspicion", {"head.altynkol"})


async def test_release_refused(client, auth, db, phones, drain) -> None:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    head = await auth("head.alakol")
    for _ in range(2):  # the same refusal, asked again
        resp = await client.post(f"/api/declarations/{decl['id']}/release", json={}, headers=head)
        assert resp.status_code == 409, resp.text
    alert = await assert_once(db, phones, drain, "release_refused", {"head.alakol"})
    assert "inspection_done" in alert["body"]


async def test_release_by_override_reaches_heads_and_auditors(client, auth, db, phones, drain) -> None:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    reason = {"override_reason": "Скоропортящийся груз, досмотр проведён комиссионно на месте"}
    resp = await client.post(f"/api/declarations/{decl['id']}/release", json=reason,
                             headers=await auth("head.alakol"))
    assert resp.status_code == 200, resp.text
    await assert_once(db, phones, drain, "release_override", {"head.alakol", "auditor"})
    all_auditors = {r["login"] for r in await db.fetch("SELECT login FROM users WHERE role = 'auditor'")}
    [alert] = await alerts_of(db, "release_override")
    assert all_auditors <= await recipients(db, alert["id"])


async def test_broken_audit_chain_alerts_auditors_once(client, auth, db, app, phones, drain) -> None:
    await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="green")
    every = timedelta(0)
    assert (await sweep_now(db, app.state.store, chain_every=every)).chain_broken is False
    seq = await db.fetchval("SELECT max(seq) FROM audit_events WHERE action = 'declaration.created'")
    await db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
    await db.execute("UPDATE audit_events SET payload = payload || '{\"declarant\": \"x\"}' WHERE seq = $1", seq)
    await db.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
    assert (await sweep_now(db, app.state.store, chain_every=every)).chain_broken is True
    assert (await sweep_now(db, app.state.store, chain_every=every)).chain_broken is True
    alert = await assert_once(db, phones, drain, "audit_chain_broken", {"auditor"})
    assert alert["object_id"] == str(seq) and alert["post_code"] is None
    # Not due yet: the full verify runs at most once per period.
    assert (await sweep_now(db, app.state.store)).chain_broken is False
