"""Webhooks to the declaration system: an IDK suspicion reaches the stand-in, signed, exactly
once after a 500 and a 429; the feed carries the same event ids in order; a host off the
allowlist is refused; the last failed try leaves a dead letter the admin replays."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.integration import delivery
from backend.integration.fanout import enqueue_delivery
from backend.settings import Settings
from media_pipeline.worker import run_worker
from tests.conftest import TEST_PEPPER
from tests.helpers import declaration_payload
from tests.idk.test_idk_scans import uploaded
from tests.integration.declaration_system import DeclarationSystem

HOOKS = "/api/integration/webhooks"
SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({
        "DOSMOTR_DATA_DIR": str(tmp_path / "data"), "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER,
        "DOSMOTR_PUSH_HOSTS": "127.0.0.1", "DOSMOTR_WEBHOOK_HOSTS": "127.0.0.1",
    })


@pytest.fixture
def system() -> Iterator[DeclarationSystem]:
    stand_in = DeclarationSystem(SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def drain(app, db_url: str, settings: Settings, tmp_path: Path,  # type: ignore[no-untyped-def]
          monkeypatch: pytest.MonkeyPatch) -> Callable[[], Awaitable[None]]:
    """Run queued jobs until none is left, as a worker beside the API would (same env)."""
    monkeypatch.setenv("DOSMOTR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSMOTR_TOKEN_PEPPER", TEST_PEPPER)
    monkeypatch.setenv("DOSMOTR_WEBHOOK_HOSTS", ",".join(settings.webhook_hosts))
    monkeypatch.setattr(delivery, "BACKOFF_S", 0.01)

    async def run() -> None:
        await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "work",
                                          concurrency=1, drain=True), 120)

    return run


async def _register(client: Any, admin: dict[str, str], url: str,
                    events: list[str]) -> dict[str, Any]:
    resp = await client.post(HOOKS, headers=admin,
                             json={"url": url, "secret": SECRET, "events": events})
    assert resp.status_code == 201, resp.text
    hook: dict[str, Any] = resp.json()
    assert "secret" not in hook
    return hook


async def _suspicion(client: Any, auth: Any) -> dict[str, Any]:
    keden, operator = await auth("keden"), await auth("idk.altynkol")
    body = declaration_payload("ALTYNKOL", "green")
    decl = (await client.post("/api/declarations", json=body, headers=keden)).json()
    scan = await uploaded(client, operator, wagon_number=body["transport"]["wagons"][0],
                          container_numbers="")
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                             json={"verdict": "suspicion", "risk_areas": []})
    assert resp.status_code == 200, resp.text
    return dict(decl)


async def test_a_suspicion_reaches_the_declaration_system_once_after_retries(
        client, auth, system, drain, db) -> None:
    admin, keden = await auth("admin"), await auth("keden")
    hook = await _register(client, admin, system.url,
                           ["declaration.corridor_changed", "idk.verdict"])
    system.answers.extend([500, 429])
    decl = await _suspicion(client, auth)
    await drain()
    await drain()  # nothing is left: a delivered event is not sent again

    feed = (await client.get("/api/changes", params={"limit": 500}, headers=keden)).json()
    subscribed = [e for e in feed["events"]
                  if e["type"] in ("declaration.corridor_changed", "idk.verdict")]
    accepted = [d.json() for d in system.accepted()]
    assert sorted(a["id"] for a in accepted) == sorted(e["id"] for e in subscribed)
    assert len(accepted) == 2 and len(system.received) == 4  # + the 500 and the 429
    assert all(d.signed for d in system.received)
    assert [d.answered for d in system.received[:2]] == [500, 429]
    [changed] = [a for a in accepted if a["type"] == "declaration.corridor_changed"]
    assert set(changed) == {"id", "type", "occurred_at", "data"}
    assert changed["data"]["declaration_id"] == decl["id"]
    assert (changed["data"]["old"], changed["data"]["new"]) == ("green", "red")
    assert changed["data"]["reason"] == "idk_suspicion"
    headers = next(d.headers for d in system.accepted() if d.json()["id"] == changed["id"])
    assert headers["Idempotency-Key"] == changed["id"]
    # the inspection.ordered event is not subscribed to: never sent
    assert "inspection.ordered" not in {a["type"] for a in accepted}

    [listed] = (await client.get(HOOKS, headers=admin)).json()
    assert listed["id"] == hook["id"] and "secret" not in listed
    assert listed["deliveries"] == {"queued": 0, "delivered": 2, "dead": 0}
    rows = (await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin)).json()
    assert {r["state"] for r in rows} == {"delivered"}
    assert sum(r["attempts"] for r in rows) == 4  # the 500 and the 429 were retried
    assert await db.fetchval("SELECT secret FROM webhooks") == SECRET  # kept, to sign


async def test_a_host_off_the_allowlist_is_refused(client, auth) -> None:
    admin = await auth("admin")
    for url in ("https://evil.example.com/hook", "http://10.0.0.5/hook", "ftp://127.0.0.1/x"):
        resp = await client.post(HOOKS, headers=admin, json={
            "url": url, "secret": SECRET, "events": ["declaration.corridor_changed"]})
        assert resp.status_code == 422, (url, resp.text)
        assert resp.json()["code"] == "webhook_host_not_allowed"
    resp = await client.post(HOOKS, headers=admin, json={
        "url": "http://127.0.0.1:9/x", "secret": SECRET, "events": ["no.such"]})
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
    assert (await client.get(HOOKS, headers=admin)).json() == []


async def test_dead_letter_after_the_last_try_and_the_admin_replays_it(
        client, auth, system, drain) -> None:
    admin = await auth("admin")
    hook = await _register(client, admin, system.url, ["declaration.corridor_changed"])
    system.otherwise = 503
    await _suspicion(client, auth)
    await drain()
    assert len(system.received) == delivery.MAX_ATTEMPTS
    [row] = (await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin)).json()
    assert row["state"] == "dead" and row["last_status"] == 503
    assert row["attempts"] == delivery.MAX_ATTEMPTS

    system.otherwise = 200
    resp = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{row['id']}/replay",
                             headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "queued"
    await drain()
    [accepted] = system.accepted()
    assert accepted.json()["id"] == row["event_id"]
    again = await client.post(f"{HOOKS}/{hook['id']}/deliveries/{row['id']}/replay",
                              headers=admin)
    assert again.status_code == 409  # delivered: never sent again
    [listed] = (await client.get(HOOKS, headers=admin)).json()
    assert listed["deliveries"] == {"queued": 0, "delivered": 1, "dead": 0}


async def test_a_disabled_webhook_gets_no_new_events(client, auth, system, drain) -> None:
    admin = await auth("admin")
    hook = await _register(client, admin, system.url, ["declaration.corridor_changed"])
    resp = await client.delete(f"{HOOKS}/{hook['id']}", headers=admin)
    assert resp.status_code == 204
    await _suspicion(client, auth)
    await drain()
    assert system.received == []
    [listed] = (await client.get(HOOKS, headers=admin)).json()
    assert listed["enabled"] is False and listed["disabled_at"] is not None
    assert (await client.delete(f"{HOOKS}/not-a-uuid", headers=admin)).status_code == 404


async def test_a_delivered_event_is_not_sent_again_when_its_job_runs_again(
        client, auth, system, drain, db) -> None:
    """A worker killed after marking the delivery but before finishing its job: the job runs
    again and sends nothing (receivers dedupe by event id for the one window left)."""
    admin = await auth("admin")
    await _register(client, admin, system.url, ["declaration.corridor_changed"])
    await _suspicion(client, auth)
    await drain()
    [first] = system.accepted()
    async with db.transaction():
        await enqueue_delivery(db, first.json()["id"])
    await drain()
    assert len(system.received) == 1


async def test_a_lease_left_by_a_killed_worker_is_sent_once_it_runs_out(
        client, auth, system, drain, db) -> None:
    admin = await auth("admin")
    await _register(client, admin, system.url, ["declaration.corridor_changed"])
    await _suspicion(client, auth)
    # a worker claimed the delivery and died before posting: its lease is still running
    await db.execute("UPDATE webhook_deliveries SET next_at = now() + interval '0.5 seconds'")
    await drain()
    await asyncio.sleep(0.6)
    await drain()
    assert len(system.received) == 1 and len(system.accepted()) == 1
    state = await db.fetchval("SELECT state FROM webhook_deliveries")
    assert state == "delivered"
