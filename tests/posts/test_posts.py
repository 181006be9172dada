"""Post administration over HTTP: posts and geofences, versioned policies, shifts."""

from __future__ import annotations

import copy
from typing import Any

from backend.inspections.assignment import draw_inspector
from tests.helpers import declaration_payload

FENCE = {"type": "Polygon", "coordinates": [[[79.0, 43.0], [79.02, 43.0], [79.02, 43.02],
                                              [79.0, 43.02], [79.0, 43.0]]]}


def _post(**over: Any) -> dict[str, Any]:
    return {"code": "khorgos", "name": "Хоргос", "kind": "road", "has_idk": True,
            "geofence": FENCE, **over}


async def test_admin_creates_and_edits_a_post(client, auth, db) -> None:
    admin = await auth("admin")
    resp = await client.post("/api/posts", json=_post(), headers=admin)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"code": "KHORGOS", "name": "Хоргос", "kind": "road", "has_idk": True,
                           "geofence": FENCE, "policy_version": 1}
    again = await client.post("/api/posts", json=_post(), headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "already_exists"
    policy = await client.get("/api/posts/KHORGOS/policy", headers=admin)
    assert policy.status_code == 200 and policy.json()["version"] == 1
    assert policy.json()["ordered_phases"] == ["exterior", "unloading", "recount"]  # road default

    edited = await client.patch("/api/posts/KHORGOS", json={"kind": "rail", "name": "Хоргос-2"},
                                headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["kind"] == "rail" and edited.json()["name"] == "Хоргос-2"
    listed = await client.get("/api/posts", headers=await auth("auditor"))
    assert "KHORGOS" in {p["code"] for p in listed.json()}
    events = await db.fetch("SELECT action, actor_id, payload FROM audit_events "
                            "WHERE object_type = 'post' AND object_id = 'KHORGOS' ORDER BY seq")
    assert [e["action"] for e in events] == ["post.created", "post.updated"]
    assert events[1]["payload"]["changes"]["kind"] == ["road", "rail"]
    missing = await client.patch("/api/posts/NOPE", json={"name": "X"}, headers=admin)
    assert missing.status_code == 404


async def test_geofences_are_checked(client, auth) -> None:
    ring = FENCE["coordinates"][0]
    bad = {
        "not a polygon": {"type": "Point", "coordinates": [79.0, 43.0]},
        "open ring": {"type": "Polygon", "coordinates": [ring[:-1]]},
        "three positions": {"type": "Polygon", "coordinates": [[ring[0], ring[1], ring[0]]]},
        "longitude": {"type": "Polygon", "coordinates": [[[190, 43], [79.02, 43], [79.02, 43.02],
                                                          [190, 43]]]},
        "latitude": {"type": "Polygon", "coordinates": [[[79, 95], [79.02, 43], [79.02, 43.02],
                                                         [79, 95]]]},
        "on one line": {"type": "Polygon", "coordinates": [[[79, 43], [79.01, 43], [79.02, 43],
                                                            [79, 43]]]},
        "text": {"type": "Polygon", "coordinates": [[["79", "43"], [79.02, 43], [79.02, 43.02],
                                                     ["79", "43"]]]},
        "altitude": {"type": "Polygon", "coordinates": [[[79, 43, 1], [79.02, 43, 1],
                                                         [79.02, 43.02, 1], [79, 43, 1]]]},
    }
    admin = await auth("admin")
    for why, fence in bad.items():
        resp = await client.post("/api/posts", json=_post(code=f"P{len(why)}", geofence=fence),
                                 headers=admin)
        assert resp.status_code == 422, (why, resp.text)
        assert resp.json()["code"] == "invalid_geofence", why
        patched = await client.patch("/api/posts/ALAKOL", json={"geofence": fence}, headers=admin)
        assert patched.status_code == 422 and patched.json()["code"] == "invalid_geofence", why


async def test_policy_versions_and_inspections_keep_theirs(client, auth, db) -> None:
    admin = await auth("admin")
    first = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    assert first["version"] == 1
    before = await client.post("/api/declarations", headers=await auth("keden"),
                               json=declaration_payload(post="ALAKOL", corridor="red"))
    assert before.status_code == 201, before.text

    policy = copy.deepcopy(first)
    del policy["version"]
    policy["min_seconds"]["unloading"] = {"fixed": 300, "per_place": 5}
    put = await client.put("/api/posts/ALAKOL/policy", json=policy, headers=admin)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2
    assert put.json()["min_seconds"]["unloading"] == {"fixed": 300.0, "per_place": 5.0}
    same = await client.put("/api/posts/ALAKOL/policy", json=policy, headers=admin)
    assert same.json()["version"] == 2  # nothing changed, no new version
    after = await client.post("/api/declarations", headers=await auth("keden"),
                              json=declaration_payload(post="ALAKOL", corridor="red"))
    versions = {r["declaration_id"]: r["policy_version"] for r in await db.fetch(
        "SELECT declaration_id, policy_version FROM inspections WHERE declaration_id = ANY($1)",
        [before.json()["id"], after.json()["id"]])}
    assert versions == {before.json()["id"]: 1, after.json()["id"]: 2}

    old = await client.get("/api/posts/ALAKOL/policy/versions/1", headers=await auth("auditor"))
    assert old.status_code == 200
    assert old.json()["policy"]["min_seconds"]["unloading"] == first["min_seconds"]["unloading"]
    history = await client.get("/api/posts/ALAKOL/policy/versions", headers=admin)
    assert [(v["version"], v["current"]) for v in history.json()] == [(2, True), (1, False)]
    assert history.json()[0]["created_by_name"] and history.json()[1]["created_by"] is None
    assert (await client.get("/api/posts/ALAKOL/policy/versions/9", headers=admin)).status_code == 404
    event = await db.fetchrow("SELECT payload FROM audit_events WHERE action = 'post.policy_changed'")
    assert event["payload"] == {"version": 2, "previous_version": 1}


async def test_a_bad_policy_is_422_with_the_path(client, auth) -> None:
    admin = await auth("admin")
    good = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    del good["version"]
    cases = [
        ({**good, "min_seconds": {**good["min_seconds"], "unloading": {"fixed": -1}}},
         "$.min_seconds[...].fixed"),  # msgspec names a dict value [...]
        ({**good, "ordered_phases": ["dancing"]}, "$.ordered_phases[0]"),
        ({**good, "colour": "red"}, "$"),
        ({"ordered_phases": []}, "$"),
    ]
    for body, path in cases:
        resp = await client.put("/api/posts/ALAKOL/policy", json=body, headers=admin)
        assert resp.status_code == 422, resp.text
        assert resp.json()["code"] == "invalid_policy" and resp.json()["path"] == path, resp.text
    current = await client.get("/api/posts/ALAKOL/policy", headers=admin)
    assert current.json()["version"] == 1
    create = await client.post("/api/posts", json=_post(policy={"nope": 1}), headers=admin)
    assert create.status_code == 422 and create.json()["code"] == "invalid_policy"


async def test_the_head_sets_the_shift_and_the_draw_follows_it(client, auth, db) -> None:
    ids = {r["login"]: r["id"] for r in await db.fetch(
        "SELECT login, id FROM users WHERE role = 'inspector' AND post_code = 'ALAKOL'")}
    head = await auth("head.alakol")
    resp = await client.put("/api/posts/ALAKOL/shift", json={"inspector_ids": [ids["insp.alakol.2"]]},
                            headers=head)
    assert resp.status_code == 200, resp.text
    on = {i["login"]: i["on_shift"] for i in resp.json()["inspectors"]}
    assert on == {"insp.alakol.1": False, "insp.alakol.2": True}
    for _ in range(10):
        assert await draw_inspector(db, "ALAKOL") == ids["insp.alakol.2"]
    event = await db.fetchrow("SELECT actor_id, payload FROM audit_events WHERE action = 'post.shift_set'")
    assert event["payload"]["removed"] == [ids["insp.alakol.1"]]

    other_post = await db.fetchval("SELECT id FROM users WHERE login = 'insp.altynkol.1'")
    head_of_post = await db.fetchval("SELECT id FROM users WHERE login = 'head.alakol'")
    for bad in ([other_post], [head_of_post], ["nobody"]):
        refused = await client.put("/api/posts/ALAKOL/shift", json={"inspector_ids": bad},
                                   headers=head)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_shift"
        assert refused.json()["unknown_ids"] == bad
    elsewhere = await client.put("/api/posts/ALTYNKOL/shift", json={"inspector_ids": []},
                                 headers=head)
    assert elsewhere.status_code == 404
    nobody = await client.put("/api/posts/ALAKOL/shift", json={"inspector_ids": []},
                              headers=await auth("admin"))
    assert nobody.status_code == 200
    assert await draw_inspector(db, "ALAKOL") is None
    read = await client.get("/api/posts/ALAKOL/shift", headers=await auth("auditor"))
    assert read.status_code == 200 and not any(i["on_shift"] for i in read.json()["inspectors"])
    denied = await client.put("/api/posts/ALAKOL/shift", json={"inspector_ids": []},
                              headers=await auth("insp.alakol.1"))
    assert denied.status_code == 403


async def test_the_board_shows_the_shift(client, auth, db) -> None:
    head = await auth("head.alakol")
    board = (await client.get("/api/board", headers=head)).json()
    assert {u["name"] for u in board["on_shift"]} == set(await db.fetchval(
        "SELECT array_agg(name) FROM users WHERE post_code = 'ALAKOL' AND role = 'inspector'"))
    uid = await db.fetchval("SELECT id FROM users WHERE login = 'insp.alakol.1'")
    await client.put("/api/posts/ALAKOL/shift", json={"inspector_ids": [uid]}, headers=head)
    board = (await client.get("/api/board", headers=head)).json()
    assert [u["id"] for u in board["on_shift"]] == [uid]
