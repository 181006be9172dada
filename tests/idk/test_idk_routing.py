"""Routing by the X-ray: a declaration with a linked `suspicion` scan is red, whichever arrived
first; nobody turns it green; its inspection carries the risk areas; the release waits for
valid inspection evidence."""

from __future__ import annotations

from typing import Any

from litestar.routes import HTTPRoute

from tests.helpers import add_validated_recording, declaration_payload
from tests.idk.test_idk_scans import uploaded

AREAS = [{"x": 30, "y": 12, "w": 40, "h": 20, "note": "плотный блок за коробками"},
         {"x": 90, "y": 30, "w": 20, "h": 16, "note": ""}]


def conditions(gate: dict[str, Any]) -> dict[str, bool]:
    return {c["code"]: c["met"] for c in gate["conditions"]}


async def _suspicion(client: Any, operator: dict[str, str], scan_id: str) -> None:
    resp = await client.post(f"/api/idk/scans/{scan_id}/verdict", headers=operator,
                             json={"verdict": "suspicion", "risk_areas": AREAS})
    assert resp.status_code == 200, resp.text


async def test_suspicion_turns_red_in_either_order_and_stays_red(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    keden, operator = await auth("keden"), await auth("idk.altynkol")
    # declaration first, then the scan and its verdict
    first = declaration_payload("ALTYNKOL", "green")
    d1 = (await client.post("/api/declarations", json=first, headers=keden)).json()
    s1 = await uploaded(client, operator, wagon_number=first["transport"]["wagons"][0],
                        container_numbers="")
    assert s1["linked_declaration_ids"] == [d1["id"]]
    await _suspicion(client, operator, s1["id"])
    # scan and verdict first, then the declaration
    second = declaration_payload("ALTYNKOL", "green")
    s2 = await uploaded(client, operator, wagon_number=second["transport"]["wagons"][0],
                        container_numbers="")
    await _suspicion(client, operator, s2["id"])
    d2 = (await client.post("/api/declarations", json=second, headers=keden)).json()
    assert d2["linked_scan_ids"] == [s2["id"]]

    for body, decl in ((first, d1), (second, d2)):
        got = (await client.get(f"/api/declarations/{decl['id']}", headers=keden)).json()
        assert got["corridor"] == "red" and got["declared_corridor"] == "green"
        assert got["inspection_required"] is True and "idk_suspicion" in got["inspection_reasons"]
        # the declaration system re-sends its body, still saying green: nothing changes
        again = await client.post("/api/declarations", json=body, headers=keden)
        assert again.status_code == 200, again.text
        assert again.json()["corridor"] == "red"
        # ...or says green where it first said yellow: that is another body, refused
        greener = {**body, "corridor": "yellow"}
        refused = await client.post("/api/declarations", json=greener, headers=keden)
        assert refused.status_code == 409
        assert (await db.fetchval("SELECT corridor FROM declarations WHERE id = $1",
                                  decl["id"])) == "red"

    # the inspection carries the operator's risk areas
    insp = d2["inspection"]
    view = await client.get(f"/api/inspections/{insp['id']}", headers=await auth("head.altynkol"))
    assert view.status_code == 200, view.text
    areas = view.json()["risk_areas"]
    assert [(a["scan_id"], a["x"], a["y"], a["w"], a["h"], a["note"]) for a in areas] == [
        (s2["id"], 30, 12, 40, 20, "плотный блок за коробками"), (s2["id"], 90, 30, 20, 16, "")]


def test_no_route_can_change_a_corridor() -> None:
    from backend.app import create_app
    from backend.settings import Settings

    app = create_app(Settings.from_env({"DOSMOTR_DATA_DIR": "/tmp/dosmotr-unused",
                                        "DOSMOTR_TOKEN_PEPPER": "x"}), dsn="postgresql://unused")
    writes = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/declarations"):
            writes |= {(m, route.path) for m in route.route_handler_map if m not in ("GET", "OPTIONS", "HEAD")}
    assert writes == {
        ("POST", "/api/declarations"),
        ("POST", "/api/declarations/{declaration_id:str}/release"),
        ("POST", "/api/declarations/{declaration_id:str}/refuse"),
        ("POST", "/api/declarations/{declaration_id:str}/order-inspection"),
    }, "a new declaration write route: make sure it cannot turn a red corridor green"
    assert not any("corridor" in r.path for r in app.routes)


async def test_release_waits_for_valid_inspection_evidence(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    keden, operator, head = await auth("keden"), await auth("idk.altynkol"), await auth("head.altynkol")
    body = declaration_payload("ALTYNKOL", "green")
    decl = (await client.post("/api/declarations", json=body, headers=keden)).json()
    scan = await uploaded(client, operator, wagon_number=body["transport"]["wagons"][0],
                          container_numbers=body["transport"]["containers"][0])
    await _suspicion(client, operator, scan["id"])
    insp = (await client.get(f"/api/declarations/{decl['id']}", headers=keden)).json()["inspection"]

    refused = await client.post(f"/api/declarations/{decl['id']}/release", json={}, headers=head)
    assert refused.status_code == 409, refused.text
    assert {"inspection_done", "evidence_valid"} <= set(refused.json()["unmet"])

    login = await db.fetchval("SELECT login FROM users WHERE id = $1", insp["inspector_id"])
    inspector = await auth(login)
    assert (await client.post(f"/api/inspections/{insp['id']}/start", headers=inspector)).status_code == 200
    assert (await client.post(f"/api/inspections/{insp['id']}/counts", json={"places_counted": 20},
                              headers=inspector)).status_code == 200
    fin = await client.post(f"/api/inspections/{insp['id']}/finish", headers=inspector)
    assert fin.status_code == 200, fin.text
    phases = [p["phase"] for p in fin.json()["phases"]]
    for phase in phases[:-1]:
        await add_validated_recording(db, insp["id"], phase, "pass")
    await add_validated_recording(db, insp["id"], phases[-1], "fail")
    still = await client.post(f"/api/declarations/{decl['id']}/release", json={}, headers=head)
    assert still.status_code == 409 and still.json()["unmet"] == ["evidence_valid"]
    await add_validated_recording(db, insp["id"], phases[-1], "pass")
    gate = (await client.get(f"/api/declarations/{decl['id']}/gate", headers=head)).json()
    assert all(conditions(gate).values()), gate
    ok = await client.post(f"/api/declarations/{decl['id']}/release", json={}, headers=head)
    assert ok.status_code == 200, ok.text
