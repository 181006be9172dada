"""The domain's changes reach the outbox in their own transactions: an IDK suspicion turning a
green declaration red, the inspection it orders, the verdict; a release and a refusal."""

from __future__ import annotations

from typing import Any

from tests.helpers import declaration_payload
from tests.idk.test_idk_scans import uploaded

FEED = "/api/changes"


async def _feed(client: Any, keden: dict[str, str], after: int = 0) -> list[dict[str, Any]]:
    resp = await client.get(FEED, params={"after": after, "limit": 500}, headers=keden)
    assert resp.status_code == 200, resp.text
    events: list[dict[str, Any]] = resp.json()["events"]
    return events


async def test_an_idk_suspicion_tells_the_declaration_system_once(client, auth) -> None:
    keden, operator = await auth("keden"), await auth("idk.altynkol")
    body = declaration_payload("ALTYNKOL", "green")
    decl = (await client.post("/api/declarations", json=body, headers=keden)).json()
    assert decl["corridor"] == "green"
    assert await _feed(client, keden) == []  # a green declaration is no event
    scan = await uploaded(client, operator, wagon_number=body["transport"]["wagons"][0],
                          container_numbers="")
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                             json={"verdict": "suspicion", "risk_areas": []})
    assert resp.status_code == 200, resp.text

    events = await _feed(client, keden)
    assert [e["type"] for e in events] == [
        "idk.verdict", "declaration.corridor_changed", "inspection.ordered"]
    verdict, changed, ordered = events
    assert verdict["data"]["scan_id"] == scan["id"] and verdict["data"]["verdict"] == "suspicion"
    assert verdict["data"]["declaration_ids"] == [decl["id"]]
    assert changed["data"] == {"declaration_id": decl["id"], "number": body["number"],
                               "post_code": "ALTYNKOL", "old": "green", "new": "red",
                               "reason": "idk_suspicion"}
    assert ordered["data"]["declaration_id"] == decl["id"]
    assert ordered["data"]["reason"] == "idk_suspicion"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert len({e["id"] for e in events}) == 3

    # a second verdict is refused (final), and it adds no event
    again = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                              json={"verdict": "suspicion", "risk_areas": []})
    assert again.status_code == 409
    assert await _feed(client, keden, after=events[-1]["seq"]) == []


async def test_a_red_declaration_orders_its_inspection_without_a_corridor_change(
        client, auth) -> None:
    keden = await auth("keden")
    decl = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "red"),
                              headers=keden)).json()
    events = await _feed(client, keden)
    assert [e["type"] for e in events] == ["inspection.ordered"]
    assert events[0]["data"]["declaration_id"] == decl["id"]
    assert events[0]["data"]["reason"] == "red_corridor"


async def test_a_refusal_names_the_official(client, auth, db) -> None:
    keden, head = await auth("keden"), await auth("head.alakol")
    decl = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "green"),
                              headers=keden)).json()
    resp = await client.post(f"/api/declarations/{decl['id']}/refuse", headers=head,
                             json={"reason": "Товар не соответствует декларации"})
    assert resp.status_code == 200, resp.text
    [event] = await _feed(client, keden)
    assert event["type"] == "declaration.refused"
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    assert event["data"]["official"]["name"] == head_name
    assert event["data"]["declaration_id"] == decl["id"]
    assert event["data"]["reason"] == "Товар не соответствует декларации"


async def test_a_release_names_the_releasing_official(client, auth, db) -> None:
    keden, head = await auth("keden"), await auth("head.alakol")
    decl = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "green"),
                              headers=keden)).json()
    resp = await client.post(f"/api/declarations/{decl['id']}/release", headers=head, json={})
    assert resp.status_code == 200, resp.text
    [event] = await _feed(client, keden)
    assert event["type"] == "declaration.released"
    head_id = await db.fetchval("SELECT id FROM users WHERE login = 'head.alakol'")
    assert event["data"]["official"]["id"] == head_id
    assert event["data"]["declaration_id"] == decl["id"] and event["data"]["override"] is False
    # a refused release attempt (already released) is no event
    again = await client.post(f"/api/declarations/{decl['id']}/release", headers=head, json={})
    assert again.status_code == 409
    assert len(await _feed(client, keden)) == 1


async def test_a_finished_inspection_is_an_event(client, auth, db) -> None:
    keden = await auth("keden")
    decl = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "red"),
                              headers=keden)).json()
    insp = decl["inspection"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", insp["inspector_id"])
    inspector = await auth(login)
    for action, body in (("start", None), ("counts", {"places_counted": 20}), ("finish", None)):
        resp = await client.post(f"/api/inspections/{insp['id']}/{action}", json=body,
                                 headers=inspector)
        assert resp.status_code == 200, (action, resp.text)
    events = await _feed(client, keden)
    assert [e["type"] for e in events] == ["inspection.ordered", "inspection.finished"]
    finished = events[1]["data"]
    assert finished["inspection_id"] == insp["id"] and finished["declaration_id"] == decl["id"]
    assert finished["inspector"]["id"] == insp["inspector_id"]
    # finishing again changes nothing and tells nothing
    again = await client.post(f"/api/inspections/{insp['id']}/finish", headers=inspector)
    assert again.status_code == 200
    assert len(await _feed(client, keden)) == 2
