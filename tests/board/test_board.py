"""The live board and the declarations awaiting a decision, as the post head and auditors see them."""

from __future__ import annotations

from typing import Any

from tests.helpers import add_validated_recording, create_declaration
from tests.recordings.conftest import Scene, scene  # noqa: F401  (fixture)
from tests.recordings.kit import new_client_id, tus_create, tus_patch

GATE_CODES = ["not_released", "actor_may_release", "idk_linked", "idk_decided", "inspection_done",
              "evidence_valid", "counts_reconciled", "evidence_tied", "separation_of_duties"]


async def test_board_shows_the_inspection_in_progress(client, scene: Scene, db, auth) -> None:  # noqa: F811
    rec = await add_validated_recording(db, scene.inspection_id, "exterior", "fail", checks=[
        {"name": "duration", "verdict": "fail", "detail": "8 s of 20 s"},
        {"name": "identity", "verdict": "pass"}])
    await db.execute("""UPDATE recordings SET manifest = jsonb_build_object(
        'recorded_from', '2026-11-22T10:00:00+00:00', 'recorded_to', '2026-11-22T10:00:08+00:00')
        WHERE id = $1""", rec)
    created = await tus_create(client, scene.inspector, scene.inspection_id, "unloading", new_client_id(), 5000)
    upload = created.headers["location"].rsplit("/", 1)[-1]
    assert (await tus_patch(client, scene.inspector, upload, 0, b"z" * 100)).status_code == 204
    resp = await client.get("/api/board", headers=scene.head)
    assert resp.status_code == 200, resp.text
    board = resp.json()
    assert board["post_code"] == "ALAKOL"
    [item] = [i for i in board["inspections"] if i["id"] == scene.inspection_id]
    assert item["status"] == "in_progress" and item["inspector"]["name"]
    assert item["elapsed_s"] >= 0 and item["min_total_s"] > 0
    phases = {p["phase"]: p for p in item["phases"]}
    assert set(phases) == {"exterior", "unloading", "recount"}  # the road post's red-corridor phases
    exterior = phases["exterior"]
    assert exterior["state"] == "validated" and exterior["verdict"] == "fail"
    assert exterior["recorded_s"] == 8.0 and exterior["min_seconds"] == 20.0 and exterior["short"] is True
    assert {"name": "duration", "verdict": "fail"} in exterior["checks"]
    assert phases["unloading"]["state"] == "missing"
    [up] = item["uploads"]
    assert up["id"] == upload and up["phase"] == "unloading" and up["length"] == 5000
    # Auditors name the post; the head of another post cannot watch this one.
    auditor = await auth("auditor")
    assert (await client.get("/api/board", headers=auditor)).status_code == 400
    seen = await client.get("/api/board", params={"post_code": "alakol"}, headers=auditor)
    assert [i["id"] for i in seen.json()["inspections"]] == [i["id"] for i in board["inspections"]]
    assert (await client.get("/api/board", params={"post_code": "NOWHERE"}, headers=auditor)).status_code == 404
    other = await client.get("/api/board", params={"post_code": "ALAKOL"}, headers=await auth("head.altynkol"))
    assert other.status_code == 404
    own = await client.get("/api/board", headers=await auth("head.altynkol"))
    assert scene.inspection_id not in [i["id"] for i in own.json()["inspections"]]
    assert (await client.get("/api/board", headers=scene.inspector)).status_code == 403


async def test_decided_inspections_leave_the_board(client, auth, db) -> None:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    head = await auth("head.alakol")
    ids = [i["id"] for i in (await client.get("/api/board", headers=head)).json()["inspections"]]
    assert decl["inspection"]["id"] in ids  # assigned, not yet started
    resp = await client.post(f"/api/declarations/{decl['id']}/refuse",
                             json={"reason": "Товар не соответствует декларации"}, headers=head)
    assert resp.status_code == 200, resp.text
    await db.execute("UPDATE inspections SET status = 'finished' WHERE id = $1", decl["inspection"]["id"])
    ids = [i["id"] for i in (await client.get("/api/board", headers=head)).json()["inspections"]]
    assert decl["inspection"]["id"] not in ids


async def test_awaiting_spells_out_every_gate_condition(client, auth) -> None:
    keden, head = await auth("keden"), await auth("head.alakol")
    green = await create_declaration(client, keden, post="ALAKOL", corridor="green")
    red = await create_declaration(client, keden, post="ALAKOL", corridor="red")
    await create_declaration(client, keden, post="ALTYNKOL", corridor="green")
    resp = await client.get("/api/declarations/awaiting", headers=head)
    assert resp.status_code == 200, resp.text  # the static path, not a declaration called "awaiting"
    rows: dict[str, Any] = {r["declaration"]["id"]: r for r in resp.json()}
    assert {green["id"], red["id"]} <= set(rows)
    assert all(r["declaration"]["id"] != "" for r in rows.values())
    assert rows[green["id"]]["allowed"] is True and rows[green["id"]]["unmet"] == []
    red_row = rows[red["id"]]
    assert [c["code"] for c in red_row["conditions"]] == GATE_CODES
    assert red_row["allowed"] is False and "inspection_done" in red_row["unmet"]
    assert all(c["detail"] for c in red_row["conditions"])
    assert red_row["declaration"]["inspection_status"] == "assigned"
    # Decided declarations are not awaiting any more.
    assert (await client.post(f"/api/declarations/{green['id']}/release", json={}, headers=head)).status_code == 200
    ids = [r["declaration"]["id"] for r in (await client.get("/api/declarations/awaiting", headers=head)).json()]
    assert green["id"] not in ids and red["id"] in ids
    # An auditor sees the same post with the gate as it stands for them (no release rights).
    auditor = await client.get("/api/declarations/awaiting", params={"post_code": "ALAKOL"},
                               headers=await auth("auditor"))
    row = next(r for r in auditor.json() if r["declaration"]["id"] == red["id"])
    assert "actor_may_release" in row["unmet"]
    cross = await client.get("/api/declarations/awaiting", params={"post_code": "ALTYNKOL"}, headers=head)
    assert cross.status_code == 404
