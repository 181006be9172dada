"""Auditors' search across posts and the daily review sample (drawn once, kept, reviewed)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.review.service import draw
from tests.helpers import create_declaration, declaration_payload


async def test_search_finds_by_every_key(client, auth, db) -> None:
    keden, auditor = await auth("keden"), await auth("auditor")
    rail = await create_declaration(client, keden, post="ALTYNKOL", corridor="red")
    road = await create_declaration(client, keden, post="ALAKOL", corridor="green")
    head = await auth("head.alakol")
    reason = {"override_reason": "Груз досмотрен комиссионно, запись приложена к акту"}
    red_road = await create_declaration(client, keden, post="ALAKOL", corridor="red")
    assert (await client.post(f"/api/declarations/{red_road['id']}/release", json=reason,
                              headers=head)).status_code == 200
    assert (await client.post(f"/api/declarations/{road['id']}/release", json={}, headers=head)).status_code == 200
    inspector = await db.fetchval("SELECT login FROM users WHERE id = $1", rail["inspection"]["inspector_id"])

    async def ids(headers: dict[str, str], **params: Any) -> list[str]:
        resp = await client.get("/api/search/declarations", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return [h["id"] for h in resp.json()]

    assert await ids(auditor, number=rail["number"]) == [rail["id"]]
    prefix = await client.get("/api/search/declarations", params={"number": rail["number"][:-3]},
                              headers=auditor)
    assert rail["id"] in [h["id"] for h in prefix.json()]  # a prefix finds it
    assert all(h["number"].startswith(rail["number"][:-3]) for h in prefix.json())
    container = rail["transport"]["containers"][0]
    assert await ids(auditor, container=container[:4].lower() + " " + container[4:]) == [rail["id"]]
    assert await ids(auditor, wagon=rail["transport"]["wagons"][0]) == [rail["id"]]
    assert await ids(auditor, plate=road["transport"]["vehicle_plate"].lower()) == [road["id"]]
    assert rail["id"] in await ids(auditor, inspector=inspector)
    assert road["id"] not in await ids(auditor, inspector=inspector)
    assert await ids(auditor, override="true") == [red_road["id"]]
    assert set(await ids(auditor, status="released")) == {road["id"], red_road["id"]}
    assert rail["id"] in await ids(auditor, post_code="ALTYNKOL")
    today = datetime.now(UTC).date()
    assert rail["id"] in await ids(auditor, **{"from": str(today), "to": str(today)})
    assert await ids(auditor, **{"from": str(today + timedelta(days=1))}) == []
    hit = (await client.get("/api/search/declarations", params={"number": red_road["number"]},
                            headers=auditor)).json()[0]
    assert hit["decision"]["decided_by"]["login"] == "head.alakol" and hit["decision"]["override"] is True
    assert hit["inspectors"][0]["login"].startswith("insp.alakol.")
    # A post head searches their own post only.
    assert await ids(head, number=rail["number"]) == []
    assert await ids(head, post_code="ALTYNKOL") == []
    assert road["id"] in await ids(head)
    assert (await client.get("/api/search/declarations", headers=await auth("insp.alakol.1"))).status_code == 403


async def test_search_by_idk_verdict(client, auth) -> None:
    from backend.idk.xray import xray_png

    decl = await create_declaration(client, await auth("keden"), post="ALTYNKOL", corridor="green")
    operator = await auth("idk.altynkol")
    form = {"image_id": f"SRCH-{decl['id'][:8]}", "scanner": "Nuctech", "composition_number": "9",
            "wagon_number": decl["transport"]["wagons"][0], "scanned_at": "2026-11-22T10:15:00+06:00"}
    resp = await client.post("/api/idk/scans", data=form, headers=operator,
                             files={"image": ("s.png", xray_png(5, width=96, height=48, bits=8), "image/png")})
    assert resp.status_code == 201, resp.text
    auditor = await auth("auditor")
    found = await client.get("/api/search/declarations", params={"verdict": "pending"}, headers=auditor)
    assert decl["id"] in [h["id"] for h in found.json()]
    assert (await client.post(f"/api/idk/scans/{resp.json()['id']}/verdict", json={"verdict": "suspicion"},
                              headers=operator)).status_code == 200
    found = await client.get("/api/search/declarations", params={"verdict": "suspicion"}, headers=auditor)
    assert [h["id"] for h in found.json()] == [decl["id"]]
    assert found.json()[0]["idk_verdicts"] == ["suspicion"]


async def _released_yesterday(client: Any, auth: Any, db: Any, n: int) -> list[str]:
    keden, head = await auth("keden"), await auth("head.alakol")
    ids = []
    for _ in range(n):
        resp = await client.post("/api/declarations", json=declaration_payload(post="ALAKOL"), headers=keden)
        decl_id = resp.json()["id"]
        assert (await client.post(f"/api/declarations/{decl_id}/release", json={}, headers=head)).status_code == 200
        ids.append(decl_id)
    await db.execute("UPDATE release_decisions SET decided_at = decided_at - interval '1 day' "
                     "WHERE declaration_id = ANY($1::text[])", ids)
    return ids


async def test_review_sample_is_drawn_once_per_day(client, auth, db) -> None:
    await db.execute("UPDATE posts SET policy = jsonb_set(policy, '{audit_sample_rate}', '0.3') WHERE code = 'ALAKOL'")
    released = await _released_yesterday(client, auth, db, 7)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    auditor = await auth("auditor")
    resp = await client.get("/api/review-sample", params={"date": str(yesterday), "post_code": "ALAKOL"},
                            headers=auditor)
    assert resp.status_code == 200, resp.text
    [day] = resp.json()
    assert day["population"] == 7 and day["rate"] == 0.3
    items = day["items"]
    assert len(items) == math.ceil(0.3 * 7) == 3
    assert {i["declaration"]["id"] for i in items} <= set(released)
    assert [i["rank"] for i in items] == [1, 2, 3] and all(i["status"] == "pending" for i in items)
    assert all(i["declaration"]["decision"]["decided_by"]["login"] == "head.alakol" for i in items)
    # Later releases, a changed rate, asking again: the day's sample stays what it was.
    await _released_yesterday(client, auth, db, 3)
    await db.execute("UPDATE posts SET policy = jsonb_set(policy, '{audit_sample_rate}', '1.0') WHERE code = 'ALAKOL'")
    again = await client.get("/api/review-sample", params={"date": str(yesterday), "post_code": "ALAKOL"},
                             headers=auditor)
    assert [i["declaration"]["id"] for i in again.json()[0]["items"]] == [i["declaration"]["id"] for i in items]
    assert await db.fetchval("SELECT count(*) FROM audit_events WHERE action = 'review.sample_drawn'") == 1
    # Every post when none is named; the default day is yesterday.
    every = await client.get("/api/review-sample", headers=await auth("admin"))
    assert {d["post_code"] for d in every.json()} == {"ALAKOL", "ALTYNKOL"}
    assert (await client.get("/api/review-sample", params={"date": str(datetime.now(UTC).date())},
                             headers=auditor)).json()["code"] == "day_not_over"
    assert (await client.get("/api/review-sample", params={"post_code": "NOWHERE"}, headers=auditor)).status_code == 404
    assert (await client.get("/api/review-sample", headers=await auth("head.alakol"))).status_code == 403


def test_the_draw_is_fixed_for_the_server_and_unforeseeable_without_its_secret() -> None:
    day, population = date(2026, 11, 21), [f"decl-{i}" for i in range(200)]
    first = draw("server-secret", "ALAKOL", day, population, 0.05)
    assert len(first) == 10
    assert draw("server-secret", "ALAKOL", day, list(reversed(population)), 0.05) == first
    assert draw("another-secret", "ALAKOL", day, population, 0.05) != first
    assert draw("server-secret", "ALAKOL", day + timedelta(days=1), population, 0.05) != first
    assert draw("server-secret", "ALAKOL", day, population, 0.0) == []
    assert draw("server-secret", "ALAKOL", day, population[:3], 0.01) == draw(
        "server-secret", "ALAKOL", day, population[:3], 0.01)[:1]


async def test_reviewing_a_sampled_declaration(client, auth, db) -> None:
    await db.execute("UPDATE posts SET policy = jsonb_set(policy, '{audit_sample_rate}', '1.0') WHERE code = 'ALAKOL'")
    released = await _released_yesterday(client, auth, db, 2)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    auditor = await auth("auditor")
    await client.get("/api/review-sample", params={"date": str(yesterday), "post_code": "ALAKOL"}, headers=auditor)
    url = f"/api/review-sample/{released[0]}"
    assert (await client.post(url, json={"status": "flagged"}, headers=auditor)).status_code == 400
    assert (await client.post(url, json={"status": "done"}, headers=auditor)).status_code == 400
    assert (await client.post(url, json={"status": "reviewed", "x": 1}, headers=auditor)).status_code == 400
    resp = await client.post(url, json={"status": "flagged", "note": "Нет записи вскрытия мест"}, headers=auditor)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "flagged" and body["reviewed_by"]["login"] == "auditor"
    assert body["note"] == "Нет записи вскрытия мест"
    again = await client.get("/api/review-sample", params={"date": str(yesterday), "post_code": "ALAKOL"},
                             headers=auditor)
    assert {i["declaration"]["id"]: i["status"] for i in again.json()[0]["items"]}[released[0]] == "flagged"
    events = await db.fetch("SELECT actor_id, payload FROM audit_events WHERE action = 'review.flagged' "
                            "AND object_id = $1", released[0])
    assert len(events) == 1 and events[0]["payload"]["note"] == "Нет записи вскрытия мест"
    unsampled = await create_declaration(client, await auth("keden"), post="ALAKOL")
    missing = await client.post(f"/api/review-sample/{unsampled['id']}", json={"status": "reviewed"}, headers=auditor)
    assert missing.status_code == 404
    for login in ("admin", "head.alakol"):
        denied = await client.post(url, json={"status": "reviewed"}, headers=await auth(login))
        assert denied.status_code == 403
