"""Twenty officials press "release" at once: one decision, nineteen 409s."""

from __future__ import annotations

import asyncio

from tests.helpers import create_declaration


async def test_twenty_concurrent_releases_yield_one_decision(client, auth, db) -> None:
    head = await auth("head.alakol")
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="green")
    url = f"/api/declarations/{decl['id']}/release"
    responses = await asyncio.gather(*(client.post(url, json={}, headers=head) for _ in range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 19
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_decided"}
    assert await db.fetchval(
        "SELECT count(*) FROM release_decisions WHERE declaration_id = $1", decl["id"]) == 1
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE object_id = $1 AND action LIKE 'declaration.released%'",
        decl["id"]) == 1
