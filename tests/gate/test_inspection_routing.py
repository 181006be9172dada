"""Who inspects and when: random draw, ordered inspections, reassignment, late suspicion."""

from __future__ import annotations

import io

from backend.idk.xray import xray_png
from tests.helpers import create_declaration


async def test_inspectors_are_drawn_at_random(client, auth, db) -> None:
    keden = await auth("keden")
    drawn = set()
    for _ in range(16):
        decl = await create_declaration(client, keden, post="ALAKOL", corridor="red")
        drawn.add(decl["inspection"]["inspector_id"])
    logins = {r["login"] for r in await db.fetch("SELECT login FROM users WHERE id = ANY($1)", list(drawn))}
    assert logins == {"insp.alakol.1", "insp.alakol.2"}  # chance of one name 16 times: 3e-5


async def test_off_shift_inspectors_are_not_drawn(client, auth, db) -> None:
    await db.execute("UPDATE users SET on_shift = false WHERE login = 'insp.alakol.1'")
    keden = await auth("keden")
    for _ in range(5):
        decl = await create_declaration(client, keden, post="ALAKOL", corridor="red")
        assert decl["inspection"]["inspector_id"] == await db.fetchval(
            "SELECT id FROM users WHERE login = 'insp.alakol.2'")
    await db.execute("UPDATE users SET on_shift = false WHERE role = 'inspector' AND post_code = 'ALAKOL'")
    decl = await create_declaration(client, keden, post="ALAKOL", corridor="red")
    assert decl["inspection"]["status"] == "unassigned"
    kinds = [a["kind"] for a in (await client.get("/api/alerts", headers=await auth("head.alakol"))).json()]
    assert "no_inspector" in kinds


async def test_post_head_orders_inspection_and_reassigns_with_reason(client, auth, db) -> None:
    head = await auth("head.alakol")
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="green")
    assert decl["inspection"] is None
    ordered = await client.post(f"/api/declarations/{decl['id']}/order-inspection",
                                json={"reason": "Оперативная информация о пересорте"}, headers=head)
    assert ordered.status_code == 200
    body = ordered.json()
    assert body["inspection_required"] is True and "ordered" in body["inspection_reasons"]
    assert body["corridor"] == "green"  # an ordered inspection does not rewrite the risk corridor
    insp = body["inspection"]
    first = insp["inspector_id"]
    view = (await client.get(f"/api/inspections/{insp['id']}", headers=head)).json()
    assert view["inspector_name"].startswith("Инспектор")
    short = await client.post(f"/api/inspections/{insp['id']}/reassign", json={"reason": "надо"}, headers=head)
    assert short.status_code == 400
    moved = await client.post(f"/api/inspections/{insp['id']}/reassign",
                              json={"reason": "Инспектор заболел, снят со смены"}, headers=head)
    assert moved.status_code == 200
    assert moved.json()["inspector_id"] not in (None, first)
    history = await db.fetch("SELECT inspector_id, reason FROM inspection_assignments WHERE inspection_id = $1 "
                             "ORDER BY assigned_at", insp["id"])
    assert [h["inspector_id"] for h in history] == [first, moved.json()["inspector_id"]]
    assert history[1]["reason"] == "Инспектор заболел, снят со смены"
    # Both inspectors of the post have had it: nobody is left to draw.
    again = await client.post(f"/api/inspections/{insp['id']}/reassign",
                              json={"reason": "Повторная замена инспектора"}, headers=head)
    assert again.status_code == 409 and again.json()["code"] == "no_inspector_on_shift"
    kinds = [a["kind"] for a in (await client.get("/api/alerts", headers=head)).json()]
    assert kinds.count("inspector_reassigned") == 1


async def test_suspicion_after_release_is_recorded_and_alerted(client, auth, db) -> None:
    keden, head, operator = await auth("keden"), await auth("head.altynkol"), await auth("idk.altynkol")
    decl = await create_declaration(client, keden, post="ALTYNKOL", corridor="green")
    wagon, container = decl["transport"]["wagons"][0], decl["transport"]["containers"][0]
    scan = await client.post("/api/idk/scans", headers=operator, files={
        "image": ("scan.png", io.BytesIO(xray_png(3, width=512, height=192)), "image/png")}, data={
        "image_id": "LATE-1", "scanner": "S1", "composition_number": "K1", "wagon_number": wagon,
        "container_numbers": container, "scanned_at": "2026-11-22T10:00:00+05:00"})
    assert scan.status_code == 201, scan.text
    assert scan.json()["linked_declaration_ids"] == [decl["id"]]
    released = await client.post(f"/api/declarations/{decl['id']}/release", headers=head, json={
        "override_reason": "Оператор ИДК на обеде, груз скоропортящийся, выпуск под мою ответственность"})
    assert released.status_code == 200 and released.json()["override"] is True
    verdict = await client.post(f"/api/idk/scans/{scan.json()['id']}/verdict", headers=operator,
                                json={"verdict": "suspicion", "risk_areas": [{"x": 10, "y": 10, "w": 50, "h": 40}]})
    assert verdict.status_code == 200, verdict.text
    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_events WHERE object_id = $1 ORDER BY seq", decl["id"])]
    assert "declaration.suspicion_after_release" in actions
    for login in ("head.altynkol", "auditor"):
        kinds = [a["kind"] for a in (await client.get("/api/alerts", headers=await auth(login))).json()]
        assert kinds.count("suspicion_after_release") == 1
    after = (await client.get(f"/api/declarations/{decl['id']}", headers=keden)).json()
    assert after["status"] == "released"  # the decision stands, and is now flagged
