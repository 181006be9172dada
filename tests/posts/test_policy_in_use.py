"""The policy an inspection runs under: the gate and the worker read the version in force when
the inspection was created, not a later one; a plain SQL fix amends the version in force."""

from __future__ import annotations

import copy

from backend.auth.actor import Actor
from backend.gate.facts import load_facts
from media_pipeline.jobs_repo import load_recording
from tests.helpers import declaration_payload


async def _red(client, auth) -> dict:  # type: ignore[no-untyped-def,type-arg]
    resp = await client.post("/api/declarations", headers=await auth("keden"),
                             json=declaration_payload(post="ALAKOL", corridor="red"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def _head(db) -> Actor:  # type: ignore[no-untyped-def]
    u = await db.fetchrow("SELECT id, login, name, role, post_code FROM users WHERE login = 'head.alakol'")
    return Actor(u["id"], u["login"], u["name"], u["role"], u["post_code"], "test")


async def test_gate_and_worker_keep_the_inspections_version(client, auth, db) -> None:
    admin = await auth("admin")
    v1 = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    before = await _red(client, auth)
    policy = copy.deepcopy(v1)
    del policy["version"]
    policy["min_seconds"]["unloading"] = {"fixed": 999, "per_place": 0}
    policy["required_phases"]["import"]["red"] = ["unloading"]
    put = await client.put("/api/posts/ALAKOL/policy", json=policy, headers=admin)
    assert put.json()["version"] == 2
    after = await _red(client, auth)

    head = await _head(db)
    old_facts = await load_facts(db, head, before["id"])
    new_facts = await load_facts(db, head, after["id"])
    assert old_facts is not None and new_facts is not None
    assert old_facts.policy.min_seconds["unloading"].fixed == v1["min_seconds"]["unloading"]["fixed"]
    assert old_facts.required_phases == v1["required_phases"]["import"]["red"]
    assert new_facts.policy.min_seconds["unloading"].fixed == 999
    assert new_facts.required_phases == ["unloading"]

    for decl, fixed in ((before, v1["min_seconds"]["unloading"]["fixed"]), (after, 999)):
        rec = await db.fetchval(
            "INSERT INTO recordings (inspection_id, phase, client_id, manifest, signature) "
            "VALUES ($1, 'unloading', $2, '{}'::jsonb, 'c2ln') RETURNING id",
            decl["inspection"]["id"], f"policy-{decl['id']}")
        row = await load_recording(db, rec)
        assert row["policy"]["min_seconds"]["unloading"]["fixed"] == fixed


async def test_a_plain_sql_fix_amends_the_version_in_force(client, auth, db) -> None:
    admin = await auth("admin")
    v1 = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    policy = copy.deepcopy(v1)
    del policy["version"]
    policy["count_tolerance"] = 3
    assert (await client.put("/api/posts/ALAKOL/policy", json=policy, headers=admin)).json()["version"] == 2
    await db.execute("UPDATE posts SET policy = jsonb_set(policy, '{count_tolerance}', '5') "
                     "WHERE code = 'ALAKOL'")
    now = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    assert now["version"] == 2 and now["count_tolerance"] == 5
    v2 = (await client.get("/api/posts/ALAKOL/policy/versions/2", headers=admin)).json()
    assert v2["policy"]["count_tolerance"] == 5
    old = (await client.get("/api/posts/ALAKOL/policy/versions/1", headers=admin)).json()
    assert old["policy"]["count_tolerance"] == v1["count_tolerance"]


async def test_intake_limits_follow_the_inspections_version(client, auth, db) -> None:
    from tests.recordings.kit import new_client_id, tus_create

    admin = await auth("admin")
    v1 = (await client.get("/api/posts/ALAKOL/policy", headers=admin)).json()
    before = await _red(client, auth)
    policy = copy.deepcopy(v1)
    del policy["version"]
    policy["max_recording_bytes"] = 1000
    assert (await client.put("/api/posts/ALAKOL/policy", json=policy, headers=admin)).json()["version"] == 2
    after = await _red(client, auth)
    for decl, status in ((before, 201), (after, 413)):
        inspection = decl["inspection"]
        login = await db.fetchval("SELECT login FROM users WHERE id = $1", inspection["inspector_id"])
        inspector = await auth(login)
        assert (await client.post(f"/api/inspections/{inspection['id']}/start",
                                  headers=inspector)).status_code == 200
        resp = await tus_create(client, inspector, inspection["id"], "unloading", new_client_id(), 5000)
        assert resp.status_code == status, resp.text
