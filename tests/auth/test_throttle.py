"""Login protection: limits per login and per address, Retry-After, audit, admin unlock."""

from __future__ import annotations

import asyncio

from backend.app import create_app


async def _try(client, login: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    return await client.post("/api/auth/login", json={"login": login, "password": password},
                             headers=headers)


async def test_five_failures_lock_the_login_even_for_the_right_password(client, auth, db) -> None:
    for _ in range(5):
        resp = await _try(client, "insp.alakol.1", "wrong", **{"User-Agent": "Guesser/1.0"})
        assert resp.status_code == 401
    locked = await _try(client, "insp.alakol.1", "demo-only")
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert locked.json()["code"] == "too_many_attempts"
    retry = int(locked.headers["retry-after"])
    assert 800 < retry <= 900
    # another login from the same address is not locked by this one
    assert (await _try(client, "insp.alakol.2", "demo-only")).status_code == 200

    events = await db.fetch("SELECT actor_id, object_type, payload FROM audit_events "
                            "WHERE action = 'auth.login_failed' ORDER BY seq")
    assert len(events) == 6
    assert all(e["actor_id"] is None and e["object_type"] == "user" for e in events)
    first = events[0]["payload"]
    assert first["login"] == "insp.alakol.1" and first["user_agent"] == "Guesser/1.0"
    assert first["reason"] == "wrong_password" and first["address"]
    assert events[-1]["payload"]["reason"] == "too_many_attempts"
    assert all("wrong" != str(v) for e in events for v in e["payload"].values())

    uid = await db.fetchval("SELECT id FROM users WHERE login = 'insp.alakol.1'")
    listed = await client.get(f"/api/users/{uid}", headers=await auth("admin"))
    assert listed.json()["locked"] is True
    denied = await client.post(f"/api/users/{uid}/unlock", headers=await auth("head.alakol"))
    assert denied.status_code == 403
    unlocked = await client.post(f"/api/users/{uid}/unlock", headers=await auth("admin"))
    assert unlocked.status_code == 200 and unlocked.json()["cleared"] == 5
    assert (await _try(client, "insp.alakol.1", "demo-only")).status_code == 200
    audited = await db.fetchval("SELECT count(*) FROM audit_events WHERE action = 'user.unlocked' "
                                "AND object_id = $1", uid)
    assert audited == 1


async def test_the_window_frees_as_the_oldest_failures_age(client, db) -> None:
    for _ in range(5):
        await _try(client, "auditor", "wrong")
    assert (await _try(client, "auditor", "demo-only")).status_code == 429
    # Age the attempts as 15 minutes would: the two oldest fall out of the window.
    await db.execute("UPDATE login_attempts SET at = at - interval '16 minutes' WHERE id IN "
                     "(SELECT id FROM login_attempts WHERE login = 'auditor' ORDER BY at LIMIT 2)")
    assert (await _try(client, "auditor", "demo-only")).status_code == 200


async def test_twenty_failures_from_one_address_lock_every_login_from_it(client) -> None:
    for i in range(20):
        resp = await _try(client, f"nobody.{i}", "wrong")
        assert resp.status_code == 401
    resp = await _try(client, "head.alakol", "demo-only")
    assert resp.status_code == 429 and resp.json()["code"] == "too_many_attempts"
    assert int(resp.headers["retry-after"]) > 0


async def test_concurrent_guesses_cannot_slip_under_the_limit(client, db) -> None:
    results = await asyncio.gather(*(_try(client, "idk.alakol", f"guess-{i}") for i in range(12)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(401) == 5 and codes.count(429) == 7, codes


async def test_the_state_is_shared_by_api_replicas(settings, db_url) -> None:
    from litestar.testing import AsyncTestClient

    one, two = create_app(settings, dsn=db_url), create_app(settings, dsn=db_url)
    async with AsyncTestClient(app=one) as a, AsyncTestClient(app=two) as b:
        for i in range(5):
            await _try(a if i % 2 else b, "head.altynkol", "wrong")
        assert (await _try(a, "head.altynkol", "demo-only")).status_code == 429
        assert (await _try(b, "head.altynkol", "demo-only")).status_code == 429
