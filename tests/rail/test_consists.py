"""Pre-arrival consists from the railway: intake (idempotent by train and date, wagon check
digits) and the train aligned with its IDK scans — scanned, missing, unexpected, out of order,
number disagreeing — with missing and unexpected wagons alerted to the IDK operator and head."""

from __future__ import annotations

import itertools
from typing import Any

from backend.rail.alignment import align
from tests.helpers import wagon
from tests.idk.test_idk_assist import declare
from tests.idk.test_idk_scans import uploaded

_trains = itertools.count(1)
W = [wagon(f"58900{n:02d}") for n in range(20, 26)]


def consist(train: str, numbers: list[str], **over: Any) -> dict[str, Any]:
    return {"train_number": train, "station": "ALTYNKOL", "expected_at": "2026-11-22T09:00:00+06:00",
            "wagons": [{"position": i + 1, "wagon_number": n, "container_numbers": [],
                        "consignor": "ТОО Отправитель", "consignee": "ООО Получатель",
                        "goods": [{"hs_code": "8471300000", "description": "Ноутбуки",
                                   "packaging": "коробки", "places": 40, "gross_kg": 820.5}]}
                       for i, n in enumerate(numbers)], **over}


def test_alignment_by_number_then_by_order() -> None:
    a, b, c, d, e = (str(n) * 8 for n in range(1, 6))
    wagons = [(1, a), (2, b), (3, c), (4, d), (5, e)]
    # b and c swapped, d misread at its place, e never scanned, a stranger at e's place
    got = align(wagons, [a, c, b, "44440444", "98765432"])
    assert got.states[1] == ("scanned", 0)
    assert {got.states[2][0], got.states[3][0]} == {"scanned", "out_of_order"}
    assert got.states[4] == ("number_disagrees", 3)
    assert got.states[5] == ("missing", None)
    assert got.unexpected == [4]
    assert align(wagons, []).states[3] == ("missing", None)
    assert align(wagons, [a, b, c, d, ""]).states[5] == ("number_disagrees", 4)


async def test_a_consist_is_stored_once_per_train_and_date(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    keden = await auth("keden")
    train = f"T{next(_trains)}-{W[0]}"
    body = consist(train, W[:2])
    first = await client.post("/api/rail/consists", json=body, headers=keden)
    assert first.status_code == 201, first.text
    again = await client.post("/api/rail/consists", json=body, headers=keden)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = await client.post("/api/rail/consists", json=consist(train, W[:3]), headers=keden)
    assert other.status_code == 409 and other.json()["code"] == "already_exists"
    assert await db.fetchval("SELECT count(*) FROM rail_consist_wagons WHERE consist_id = $1",
                             first.json()["id"]) == 2
    got = first.json()
    assert got["post_code"] == "ALTYNKOL" and got["train_date"] == "2026-11-22"
    assert got["wagons"][0]["goods"][0]["gross_kg"] == 820.5
    assert [w["state"] for w in got["wagons"]] == ["missing", "missing"]


async def test_bad_consists_are_refused_with_a_code(client, auth) -> None:  # type: ignore[no-untyped-def]
    keden = await auth("keden")
    bad = W[0][:7] + str((int(W[0][7]) + 1) % 10)
    resp = await client.post("/api/rail/consists", json=consist("BAD-1", [W[0], bad]),
                             headers=keden)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_wagon_number"
    assert resp.json()["numbers"] == [bad]
    resp = await client.post("/api/rail/consists", json=consist("BAD-2", [W[0], W[0]]),
                             headers=keden)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
    resp = await client.post("/api/rail/consists",
                             json=consist("BAD-3", [W[0]], station="ALAKOL"), headers=keden)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_post"
    resp = await client.post("/api/rail/consists", json={"train_number": "X"}, headers=keden)
    assert resp.status_code == 400


async def test_one_wagon_unscanned_and_one_unexpected_scan_are_reported_and_alerted(  # type: ignore[no-untyped-def]
        client, auth, db) -> None:
    keden, operator = await auth("keden"), await auth("idk.altynkol")
    train = f"T{next(_trains)}-{W[1]}"
    created = await client.post("/api/rail/consists", json=consist(train, W[:4]), headers=keden)
    assert created.status_code == 201, created.text
    consist_id = created.json()["id"]
    stranger = wagon("7412345")  # far from every listed number: not a misread
    scans = []
    for minute, number in enumerate([W[0], W[2], W[1], stranger]):  # W[3] never scanned
        scans.append(await uploaded(client, operator, composition_number=train,
                                    wagon_number=number, container_numbers="",
                                    scanned_at=f"2026-11-22T10:{minute:02d}:00+06:00"))
    resp = await client.get(f"/api/rail/consists/{consist_id}", headers=operator)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    states = {w["wagon_number"]: w["state"] for w in got["wagons"]}
    assert states[W[0]] == "scanned" and states[W[3]] == "missing"
    assert sorted([states[W[1]], states[W[2]]]) == ["out_of_order", "scanned"]
    assert [s["id"] for s in got["unexpected"]] == [scans[3]["id"]]
    assert got["counts"] == {"scanned": 2, "missing": 1, "out_of_order": 1,
                             "number_disagrees": 0, "unexpected": 1}
    by_wagon = {w["wagon_number"]: w["scan"] for w in got["wagons"]}
    assert by_wagon[W[0]]["id"] == scans[0]["id"] and by_wagon[W[3]] is None

    for login in ("idk.altynkol", "head.altynkol"):
        alerts = (await client.get("/api/alerts", headers=await auth(login))).json()
        mine = sorted((a["code"], a["params"]["wagon"]) for a in alerts
                      if a["object_id"] == consist_id)
        assert mine == [("consist_scan_unexpected", stranger), ("consist_wagon_missing", W[3])]
    # a second read is the same alerts, not new ones
    await client.get(f"/api/rail/consists/{consist_id}", headers=operator)
    assert await db.fetchval("SELECT count(*) FROM alerts WHERE object_id = $1", consist_id) == 2


async def test_a_declaration_arriving_later_links_to_the_consist_by_wagon(client, auth) -> None:  # type: ignore[no-untyped-def]
    keden, operator = await auth("keden"), await auth("idk.altynkol")
    numbers = [wagon(f"58902{n:02d}") for n in range(2)]
    train = f"T{next(_trains)}-{numbers[0]}"
    created = await client.post("/api/rail/consists", json=consist(train, numbers), headers=keden)
    consist_id = created.json()["id"]
    assert [w["declaration_ids"] for w in created.json()["wagons"]] == [[], []]
    decl = await declare(client, auth, [numbers[1]])
    got = (await client.get(f"/api/rail/consists/{consist_id}", headers=operator)).json()
    assert [w["declaration_ids"] for w in got["wagons"]] == [[], [decl["id"]]]


async def test_other_posts_do_not_see_a_consist(client, auth) -> None:  # type: ignore[no-untyped-def]
    created = await client.post("/api/rail/consists", json=consist(f"T{next(_trains)}-X", W[:1]),
                                headers=await auth("keden"))
    consist_id = created.json()["id"]
    resp = await client.get(f"/api/rail/consists/{consist_id}", headers=await auth("head.alakol"))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    resp = await client.get("/api/rail/consists/nope", headers=await auth("auditor"))
    assert resp.status_code == 404
    assert (await client.get(f"/api/rail/consists/{consist_id}",
                             headers=await auth("auditor"))).status_code == 200
