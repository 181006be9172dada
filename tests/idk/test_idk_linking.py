"""Scans and declarations find each other by wagon or container number, in either order, and a
suspicion verdict sends the linked declarations to inspection."""

from __future__ import annotations

from typing import Any

from backend.idk.linking import link_declaration
from backend.idk.repo import scans_for_declaration
from tests.helpers import declaration_payload
from tests.idk.test_idk_scans import uploaded

SUSPICION = {
    "verdict": "suspicion",
    "risk_areas": [{"x": 40, "y": 20, "w": 12, "h": 10, "note": "плотный объект"}],
}


async def declare(client: Any, auth: Any, *, post: str = "ALTYNKOL", corridor: str = "green",
                  wagons: list[str] | None = None, containers: list[str] | None = None) -> dict[str, Any]:
    body = declaration_payload(post, corridor)
    if wagons is not None or containers is not None:
        body["transport"] = {"wagons": wagons or [], "containers": containers or []}
    resp = await client.post("/api/declarations", json=body, headers=await auth("keden"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def get_declaration(client: Any, auth: Any, declaration_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/declarations/{declaration_id}", headers=await auth("auditor"))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def get_scan(client: Any, auth: Any, scan_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/idk/scans/{scan_id}", headers=await auth("auditor"))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def links(db: Any, scan_id: str) -> dict[str, str]:
    rows = await db.fetch("SELECT declaration_id, matched_on FROM scan_links WHERE scan_id = $1",
                          scan_id)
    return {r["declaration_id"]: r["matched_on"] for r in rows}


async def test_declaration_first_then_scan_links_by_wagon(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    decl = await declare(client, auth, wagons=["5810-0041"], containers=["TGHU8765432"])
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number="58100041",
                          container_numbers="")
    assert scan["linked_declaration_ids"] == [decl["id"]]
    assert await links(db, scan["id"]) == {decl["id"]: "wagon:58100041"}
    assert (await get_declaration(client, auth, decl["id"]))["linked_scan_ids"] == [scan["id"]]
    linked_events = await db.fetch(
        "SELECT actor_id, payload FROM audit_events WHERE action = 'idk_scan.linked' "
        "AND object_id = $1", scan["id"])
    assert [e["payload"]["declaration_id"] for e in linked_events] == [decl["id"]]
    assert linked_events[0]["actor_id"] == scan["created_by"]


async def test_scan_first_then_declaration_links_by_container(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number="",
                          container_numbers="mscu 765432-1")
    assert scan["linked_declaration_ids"] == []
    decl = await declare(client, auth, wagons=["58100082"], containers=["MSCU7654321"])
    assert decl["linked_scan_ids"] == [scan["id"]]
    assert decl["inspection_required"] is False  # no verdict yet: nothing to act on
    assert (await get_scan(client, auth, scan["id"]))["linked_declaration_ids"] == [decl["id"]]
    assert await links(db, scan["id"]) == {decl["id"]: "container:MSCU7654321"}

    resp = await client.get("/api/idk/scans", params={"unlinked": "true"},
                            headers=await auth("idk.altynkol"))
    assert scan["id"] not in {s["id"] for s in resp.json()}


async def test_wagon_and_container_both_match_one_link(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    decl = await declare(client, auth, wagons=["58100033"], containers=["MSCU1111111"])
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number="58100033",
                          container_numbers="MSCU1111111")
    assert await links(db, scan["id"]) == {decl["id"]: "wagon:58100033,container:MSCU1111111"}


async def test_one_scan_links_every_open_declaration_of_its_post_only(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    shared = "TCLU2222222"
    a = await declare(client, auth, wagons=["58100074"], containers=[shared])
    b = await declare(client, auth, wagons=["58100025"], containers=[shared])
    refused = await declare(client, auth, wagons=["58100066"], containers=[shared])
    resp = await client.post(f"/api/declarations/{refused['id']}/refuse",
                             json={"reason": "документы не соответствуют грузу"},
                             headers=await auth("head.altynkol"))
    assert resp.status_code == 200, resp.text
    released = await declare(client, auth, wagons=["58100017"], containers=[shared])
    await db.execute("UPDATE declarations SET status = 'released' WHERE id = $1", released["id"])
    other_post = await declare(client, auth, post="ALAKOL", wagons=[], containers=[shared])

    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number="",
                          container_numbers=shared)
    assert sorted(scan["linked_declaration_ids"]) == sorted([a["id"], b["id"]])
    assert other_post["linked_scan_ids"] == []
    assert (await get_declaration(client, auth, other_post["id"]))["linked_scan_ids"] == []


async def test_suspicion_sends_linked_declarations_to_inspection(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    decl = await declare(client, auth, corridor="green", wagons=["58100058"], containers=[])
    assert decl["corridor"] == "green" and decl["inspection_required"] is False
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op, wagon_number="58100058", container_numbers="")

    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", json=SUSPICION, headers=op)
    assert resp.status_code == 200, resp.text
    assert resp.json()["verdict"] == "suspicion"

    after = await get_declaration(client, auth, decl["id"])
    assert after["inspection_required"] is True
    assert after["corridor"] == "red"
    assert "idk_suspicion" in after["inspection_reasons"]
    assert after["status"] == "inspection"
    assert after["inspection"] is not None

    alert = await db.fetchrow(
        "SELECT post_code, object_type, link FROM alerts WHERE dedupe_key = $1",
        f"idk_suspicion:{scan['id']}")
    assert alert is not None
    assert (alert["post_code"], alert["object_type"], alert["link"]) == (
        "ALTYNKOL", "idk_scan", f"/idk/{scan['id']}")
    inbox = await client.get("/api/alerts", headers=await auth("head.altynkol"))
    assert "idk_suspicion" in {a["kind"] for a in inbox.json()}

    # what the gate and the inspection screen read
    [linked] = await scans_for_declaration(db, decl["id"])
    assert linked.id == scan["id"] and linked.verdict == "suspicion"
    assert linked.risk_areas == SUSPICION["risk_areas"]
    assert (linked.width, linked.height) == (scan["width"], scan["height"])


async def test_declaration_arriving_after_suspicion_is_inspected(client, auth) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op, wagon_number="58100009", container_numbers="")
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", json=SUSPICION, headers=op)
    assert resp.status_code == 200

    decl = await declare(client, auth, corridor="green", wagons=["58100009"], containers=[])
    assert decl["linked_scan_ids"] == [scan["id"]]
    assert decl["inspection_required"] is True
    assert decl["corridor"] == "red"
    assert "idk_suspicion" in decl["inspection_reasons"]


async def test_clear_verdict_changes_nothing(client, auth) -> None:  # type: ignore[no-untyped-def]
    decl = await declare(client, auth, corridor="green", wagons=["58100090"], containers=[])
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op, wagon_number="58100090", container_numbers="")
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", json={"verdict": "clear"},
                             headers=op)
    assert resp.status_code == 200
    after = await get_declaration(client, auth, decl["id"])
    assert after["corridor"] == "green" and after["inspection_required"] is False


async def test_suspicion_after_release_is_alerted(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    decl = await declare(client, auth, corridor="green", wagons=["58100116"], containers=[])
    op = await auth("idk.altynkol")
    scan = await uploaded(client, op, wagon_number="58100116", container_numbers="")
    await db.execute("UPDATE declarations SET status = 'released' WHERE id = $1", decl["id"])
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", json=SUSPICION, headers=op)
    assert resp.status_code == 200
    assert await db.fetchval(
        "SELECT count(*) FROM alerts WHERE kind = 'suspicion_after_release' AND object_id = $1",
        decl["id"]) == 1


async def test_link_declaration_is_idempotent(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number="58100215",
                          container_numbers="")
    decl = await declare(client, auth, wagons=["58100215"], containers=[])
    assert decl["linked_scan_ids"] == [scan["id"]]
    async with db.transaction():
        assert await link_declaration(db, decl["id"], "ALTYNKOL") == []
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'idk_scan.linked' AND object_id = $1",
        scan["id"]) == 1
