"""Linking by hand (with a reason, history kept, the gate follows) and the X-ray model's second
opinion run by the worker: it flags a hidden dense block and an empty container declared full,
stays quiet on a plain load, and a `clear` over a flagged image forces inspection."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backend.idk.xray import XraySpec, encode, mass_kg, render_layers
from media_pipeline.worker import run_worker
from tests.helpers import declaration_payload
from tests.idk.test_idk_scans import uploaded

FRESH = 2**31  # image seeds of the test suite: never used to train or score the model
REASON = "Номер вагона считан сканером с ошибкой, сверено по натурному листу"


def conditions(gate: dict[str, Any]) -> dict[str, bool]:
    return {c["code"]: c["met"] for c in gate["conditions"]}


async def declare(client: Any, auth: Any, wagons: list[str], containers: list[str] | None = None,
                  lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = declaration_payload("ALTYNKOL", "green")
    body["transport"] = {"wagons": wagons, "containers": containers or []}
    if lines is not None:
        body["lines"] = lines
    resp = await client.post("/api/declarations", json=body, headers=await auth("keden"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def gate(client: Any, auth: Any, decl_id: str) -> dict[str, bool]:
    resp = await client.get(f"/api/declarations/{decl_id}/gate", headers=await auth("head.altynkol"))
    return conditions(resp.json())


async def scan_of(client: Any, auth: Any, scan_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/idk/scans/{scan_id}", headers=await auth("idk.altynkol"))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def jobs_for(db: asyncpg.Connection, scan_id: str) -> list[str]:
    rows = await db.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = 'assess_idk_scan'")
    return [json.loads(bytes(r["payload"]))["why"] for r in rows
            if json.loads(bytes(r["payload"]))["scan_id"] == scan_id]


async def test_unlinked_list_and_linking_in_both_orders(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    early = await uploaded(client, operator, wagon_number="58700006", container_numbers="")
    listed = await client.get("/api/idk/scans", params={"unlinked": "true"}, headers=operator)
    assert early["id"] in {s["id"] for s in listed.json()}
    decl = await declare(client, auth, ["58700006"])
    assert decl["linked_scan_ids"] == [early["id"]]
    listed = await client.get("/api/idk/scans", params={"unlinked": "true"}, headers=operator)
    assert early["id"] not in {s["id"] for s in listed.json()}
    assert await jobs_for(db, early["id"]) == ["registered", "linked"]  # re-judged when linked

    late_decl = await declare(client, auth, ["58700022"])
    late = await uploaded(client, operator, wagon_number="58700022", container_numbers="")
    assert late["linked_declaration_ids"] == [late_decl["id"]]
    assert await jobs_for(db, late["id"]) == ["registered"]


async def test_manual_link_and_unlink_keep_history_and_the_gate_follows(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    decl = await declare(client, auth, ["58710005"])
    misread = await uploaded(client, operator, wagon_number="58710013", container_numbers="")
    assert misread["linked_declaration_ids"] == []
    assert (await gate(client, auth, decl["id"]))["idk_linked"] is False
    url = f"/api/idk/scans/{misread['id']}/links"

    bad = [
        ({"declaration_id": decl["id"], "reason": "надо"}, 400, "invalid_request"),
        ({"declaration_id": decl["id"], "reason": REASON, "wagon_number": "58999939"}, 400,
         "unit_not_declared"),
        ({"declaration_id": "no-such-declaration", "reason": REASON}, 404, "not_found"),
    ]
    for body, status, code in bad:
        resp = await client.post(url, json=body, headers=operator)
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.text
    linked = await client.post(url, json={"declaration_id": decl["id"], "reason": REASON,
                                          "wagon_number": "5871-0005"}, headers=operator)
    assert linked.status_code == 200, linked.text
    scan = linked.json()
    assert scan["linked_declaration_ids"] == [decl["id"]]
    [link] = scan["links"]
    assert (link["matched_on"], link["covers_wagon"], link["link_reason"]) == (
        "manual", "58710005", REASON)
    twice = await client.post(url, json={"declaration_id": decl["id"], "reason": REASON},
                              headers=operator)
    assert twice.status_code == 409 and twice.json()["code"] == "already_linked"
    met = await gate(client, auth, decl["id"])
    assert met["idk_linked"] is True and met["idk_decided"] is False
    assert (await client.get(f"/api/declarations/{decl['id']}", headers=await auth("keden"))
            ).json()["linked_scan_ids"] == [misread["id"]]

    unlink_url = f"{url}/{decl['id']}"
    missing = await client.delete(unlink_url, headers=operator)
    assert missing.status_code == 400, missing.text
    ended = await client.delete(unlink_url, params={"reason": "Связан ошибочно, другой состав"},
                                headers=operator)
    assert ended.status_code == 200, ended.text
    assert ended.json()["linked_declaration_ids"] == []
    [history] = ended.json()["links"]
    assert history["unlinked_at"] and history["reason"] == "Связан ошибочно, другой состав"
    assert (await gate(client, auth, decl["id"]))["idk_linked"] is False
    again = await client.delete(unlink_url, params={"reason": "Связан ошибочно, повтор"},
                                headers=operator)
    assert again.status_code == 404 and again.json()["code"] == "link_not_found"

    relinked = await client.post(url, json={"declaration_id": decl["id"], "reason": REASON,
                                            "wagon_number": "58710005"}, headers=operator)
    assert relinked.status_code == 200 and len(relinked.json()["links"]) == 2
    ended = await client.request("DELETE", unlink_url, json={"reason": "Снова не тот вагон, сверено"},
                                 headers=operator)
    assert ended.status_code == 200, ended.text
    assert await db.fetchval("SELECT count(*) FROM scan_links WHERE scan_id = $1", misread["id"]) == 2
    actions = [(r["action"], r["payload"].get("reason")) for r in await db.fetch(
        "SELECT action, payload FROM audit_events WHERE object_id = $1 AND action LIKE 'idk_scan.%link%'"
        " ORDER BY seq", misread["id"])]
    assert actions == [("idk_scan.linked", REASON), ("idk_scan.unlinked", "Связан ошибочно, другой состав"),
                       ("idk_scan.linked", REASON), ("idk_scan.unlinked", "Снова не тот вагон, сверено")]
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("DELETE FROM scan_links WHERE scan_id = $1", misread["id"])
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("UPDATE scan_links SET reason = 'x' WHERE scan_id = $1", misread["id"])


async def test_an_unlinked_pair_is_not_relinked_automatically(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    first = await declare(client, auth, ["58720004"])
    scan = await uploaded(client, operator, wagon_number="58720004", container_numbers="")
    assert scan["linked_declaration_ids"] == [first["id"]]
    resp = await client.delete(f"/api/idk/scans/{scan['id']}/links/{first['id']}",
                               params={"reason": "Вагон переадресован другой декларацией"},
                               headers=operator)
    assert resp.status_code == 200, resp.text
    second = await declare(client, auth, ["58720004"])  # the wagon's new declaration
    assert second["linked_scan_ids"] == [scan["id"]]
    assert (await scan_of(client, auth, scan["id"]))["linked_declaration_ids"] == [second["id"]]
    other_post = await client.post(f"/api/idk/scans/{scan['id']}/links", headers=await auth("idk.alakol"),
                                   json={"declaration_id": first["id"], "reason": REASON})
    assert other_post.status_code == 404


async def test_manual_link_to_a_suspicious_scan_turns_red(client, auth) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    scan = await uploaded(client, operator, wagon_number="58730029", container_numbers="")
    verdict = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator, json={
        "verdict": "suspicion", "risk_areas": [{"x": 5, "y": 5, "w": 20, "h": 20, "note": ""}]})
    assert verdict.status_code == 200, verdict.text
    decl = await declare(client, auth, ["58730003"])
    assert decl["corridor"] == "green"
    resp = await client.post(f"/api/idk/scans/{scan['id']}/links", headers=operator, json={
        "declaration_id": decl["id"], "reason": REASON, "wagon_number": "58730003"})
    assert resp.status_code == 200, resp.text
    got = (await client.get(f"/api/declarations/{decl['id']}", headers=await auth("keden"))).json()
    assert got["corridor"] == "red" and "idk_suspicion" in got["inspection_reasons"]


# --- the model, through the worker ---------------------------------------------------------


def scanned(spec: XraySpec) -> tuple[bytes, float, list[Any]]:
    """(16-bit PNG, the load's true mass in kg, concealments) of a generated scan."""
    layers = render_layers(spec)
    return (encode(layers.trans, "png", 16), mass_kg(float(layers.contents.sum()), spec.width),
            layers.anomalies)


def boxes_line(places: int, kg: float, packaging: str = "картонные коробки") -> dict[str, Any]:
    return {"hs_code": "8516500000", "description": "Микроволновые печи", "packaging": packaging,
            "places": places, "gross_kg": round(kg, 1), "net_kg": round(kg * 0.9, 1)}


async def drain(app: Any, db_url: str, tmp_path: Path) -> None:
    await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "work",
                                      concurrency=1, drain=True), 180)


def overlaps(a: dict[str, Any], b: Any) -> bool:
    return (a["x"] < b.x + b.w and b.x < a["x"] + a["w"] and a["y"] < b.y + b.h
            and b.y < a["y"] + a["h"])


async def test_the_model_flags_what_it_should_and_a_clear_over_it_forces_inspection(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator, head = await auth("idk.altynkol"), await auth("head.altynkol")
    size = {"width": 1800, "height": 600, "vehicle": "container"}
    block_png, block_kg, truth = scanned(XraySpec(seed=FRESH + 1, packaging="boxes", fill=0.9,
                                                  hidden_block=True, **size))
    empty_png, _, _ = scanned(XraySpec(seed=FRESH + 2, packaging="empty", **size))
    plain_png, plain_kg, _ = scanned(XraySpec(seed=FRESH + 3, packaging="boxes", fill=0.9, **size))
    d_block = await declare(client, auth, ["58740051"], lines=[boxes_line(40, block_kg)])
    d_empty = await declare(client, auth, ["58740002"], lines=[boxes_line(20, 18000)])
    d_plain = await declare(client, auth, ["58740093"], lines=[boxes_line(40, plain_kg)])
    scans = {}
    for name, png, wagon in (("block", block_png, "58740051"), ("empty", empty_png, "58740002"),
                             ("plain", plain_png, "58740093")):
        scans[name] = await uploaded(client, operator, image=png, wagon_number=wagon,
                                     container_numbers="")
        assert scans[name]["assessment"] is None  # null until the model has run
    # the operator calls the empty one clear before the model has spoken
    early = await client.post(f"/api/idk/scans/{scans['empty']['id']}/verdict", headers=operator,
                              json={"verdict": "clear"})
    assert early.status_code == 200

    await drain(app, db_url, tmp_path)
    got = {k: (await scan_of(client, auth, s["id"]))["assessment"] for k, s in scans.items()}
    for a in got.values():
        assert a is not None and a["model"]["name"] == "xray_assist" and len(a["model"]["sha256"]) == 64
    block = got["block"]
    [hidden] = [b for b in truth if b.kind == "dense_block"]
    assert any(r["kind"] == "dense_block" and r["score"] >= 0.5 and overlaps(r, hidden)
               for r in block["anomalies"]), block["anomalies"]
    assert block["flagged"] and "anomaly:dense_block" in block["reasons"]
    assert block["consistency"]["score"] < 0.5  # homogeneous boxes declared, a block inside
    empty = got["empty"]
    assert empty["flagged"] and "consistency:loaded" in empty["reasons"]
    assert empty["consistency"]["score"] < 0.5 and empty["image"]["fill"] < 0.15
    plain = got["plain"]
    assert not plain["flagged"], plain
    assert plain["consistency"]["score"] >= 0.5
    assert [a for a in plain["anomalies"] if a["score"] >= 0.5] == []

    # clear before the model: the assessment itself sent the declaration to inspection
    decl = (await client.get(f"/api/declarations/{d_empty['id']}", headers=head)).json()
    assert "idk_model_disagreement" in decl["inspection_reasons"] and decl["inspection"]
    assert decl["corridor"] == "green"  # a disagreement inspects; it is not a suspicion
    # clear after the model: the verdict does it
    for name in ("block", "plain"):
        resp = await client.post(f"/api/idk/scans/{scans[name]['id']}/verdict",
                                 headers=operator, json={"verdict": "clear"})
        assert resp.status_code == 200, resp.text
    forced = (await client.get(f"/api/declarations/{d_block['id']}", headers=head)).json()
    assert forced["inspection_required"] and "idk_model_disagreement" in forced["inspection_reasons"]
    quiet = (await client.get(f"/api/declarations/{d_plain['id']}", headers=head)).json()
    assert quiet["inspection_required"] is False
    alerts = [a for a in (await client.get("/api/alerts", headers=head)).json()
              if a["kind"] == "idk_model_disagreement"]
    assert {a["object_id"] for a in alerts} == {scans["block"]["id"], scans["empty"]["id"]}
    events = await db.fetch("SELECT object_id, payload FROM audit_events "
                            "WHERE action = 'idk_scan.model_disagreement'")
    assert {e["object_id"] for e in events} == {scans["block"]["id"], scans["empty"]["id"]}


async def test_a_declaration_arriving_later_is_judged_against_the_image(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    png, _, _ = scanned(XraySpec(seed=FRESH + 4, width=1600, height=560, packaging="empty"))
    scan = await uploaded(client, operator, image=png, wagon_number="58750001", container_numbers="")
    await drain(app, db_url, tmp_path)
    alone = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert alone["consistency"]["score"] is None and alone["declaration_ids"] == []
    assert not alone["flagged"]
    assessed = await db.fetchval("SELECT count(*) FROM audit_events WHERE action = 'idk_scan.assessed'")

    decl = await declare(client, auth, ["58750001", "58750092"], lines=[boxes_line(40, 36000)])
    await drain(app, db_url, tmp_path)
    judged = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert judged["declaration_ids"] == [decl["id"]]
    assert judged["flagged"] and judged["consistency"]["score"] < 0.5
    loaded = next(c for c in judged["consistency"]["checks"] if c["name"] == "loaded")
    assert loaded["declared"] == 20  # half of the declaration's 40 places: one of its two wagons
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'idk_scan.assessed'") == assessed + 1
    await drain(app, db_url, tmp_path)  # nothing queued, nothing changes
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'idk_scan.assessed'") == assessed + 1


async def test_clear_over_a_flagged_image_reaches_declarations_linked_later(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator, head = await auth("idk.altynkol"), await auth("head.altynkol")
    png, kg, _ = scanned(XraySpec(seed=FRESH + 5, width=1800, height=600, packaging="bags",
                                  fill=0.9, hidden_block=True))
    scan = await uploaded(client, operator, image=png, wagon_number="58760000",
                          container_numbers="")
    await drain(app, db_url, tmp_path)
    assert (await scan_of(client, auth, scan["id"]))["assessment"]["flagged"]
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                             json={"verdict": "clear"})
    assert resp.status_code == 200, resp.text
    alerts = [a for a in (await client.get("/api/alerts", headers=head)).json()
              if a["kind"] == "idk_model_disagreement"]
    assert [a["object_id"] for a in alerts] == [scan["id"]]  # nothing linked yet: still told
    # the declaration arrives: it is sent to inspection in the same transaction
    decl = await declare(client, auth, ["58760000"], lines=[boxes_line(40, kg, "мешки")])
    assert decl["inspection_required"] and "idk_model_disagreement" in decl["inspection_reasons"]
    assert decl["corridor"] == "green"
