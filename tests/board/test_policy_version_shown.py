"""One policy version everywhere: the inspection view (the tablet), the board (the post head) and
the gate all read the version an inspection was created under, not one put in force later."""

from __future__ import annotations

import copy
from typing import Any

from tests.helpers import add_validated_recording, create_declaration

PLACES = 20  # declaration_payload's two lines: 12 + 8 places


def _minimum(policy: dict[str, Any], phase: str) -> float:
    rule = policy["min_seconds"][phase]
    return float(rule["fixed"] + rule["per_place"] * PLACES)


async def _phases_seen(client, inspection_id: str, inspector, head) -> tuple[dict, dict]:  # type: ignore[no-untyped-def,type-arg]
    view = await client.get(f"/api/inspections/{inspection_id}", headers=inspector)
    assert view.status_code == 200, view.text
    board = await client.get("/api/board", headers=head)
    assert board.status_code == 200, board.text
    [item] = [i for i in board.json()["inspections"] if i["id"] == inspection_id]
    return ({p["phase"]: p["min_seconds"] for p in view.json()["phases"]},
            {p["phase"]: p["min_seconds"] for p in item["phases"]})


async def _gate(client, declaration_id: str, head) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = await client.get(f"/api/declarations/{declaration_id}/gate", headers=head)
    assert resp.status_code == 200, resp.text
    return {c["code"]: c for c in resp.json()["conditions"]}


async def test_view_board_and_gate_keep_the_inspections_policy_version(client, auth, db) -> None:
    admin, keden, head = await auth("admin"), await auth("keden"), await auth("head.alakol")
    v1 = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    old_phases = v1["required_phases"]["import"]["red"]
    assert old_phases != ["unloading"] and "unloading" in old_phases
    before = await create_declaration(client, keden, post="ALAKOL", corridor="red")

    v2 = copy.deepcopy(v1)
    del v2["version"]
    v2["required_phases"]["import"]["red"] = ["unloading"]
    v2["min_seconds"]["unloading"] = {"fixed": 999, "per_place": 0}
    put = await client.put("/api/posts/ALAKOL/policy", json=v2, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2
    after = await create_declaration(client, keden, post="ALAKOL", corridor="red")

    for decl in (before, after):  # only an unloading take, validated and passed
        await add_validated_recording(db, decl["inspection"]["id"], "unloading", "pass")

    # The inspection created under version 1 still shows version 1's phases and minimums ...
    old_inspector = await auth(await db.fetchval(
        "SELECT login FROM users WHERE id = $1", before["inspection"]["inspector_id"]))
    view, board = await _phases_seen(client, before["inspection"]["id"], old_inspector, head)
    expected = {p: _minimum(v1, p) for p in old_phases}
    assert view == expected and board == expected
    assert expected["unloading"] != 999
    # ... and the gate agrees: the phases version 2 dropped are still missing for it.
    evidence = (await _gate(client, before["id"], head))["evidence_valid"]
    assert evidence["met"] is False
    for phase in old_phases:
        if phase != "unloading":
            assert f"{phase}: no recording" in evidence["detail"]
    assert "unloading" not in evidence["detail"]

    # The inspection created under version 2 is shown under version 2 everywhere.
    new_inspector = await auth(await db.fetchval(
        "SELECT login FROM users WHERE id = $1", after["inspection"]["inspector_id"]))
    view, board = await _phases_seen(client, after["inspection"]["id"], new_inspector, head)
    assert view == board == {"unloading": 999.0}
    assert (await _gate(client, after["id"], head))["evidence_valid"]["met"] is True
