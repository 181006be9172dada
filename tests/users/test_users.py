"""User administration over HTTP: accounts, one-time passwords, role/post rules, audit."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


async def _create(client, auth, **body: Any):  # type: ignore[no-untyped-def]
    return await client.post("/api/users", json=body, headers=await auth("admin"))


async def _login(client, login: str, password: str):  # type: ignore[no-untyped-def]
    return await client.post("/api/auth/login", json={"login": login, "password": password})


async def test_admin_creates_an_inspector_who_must_change_the_one_time_password(
    client, auth, db
) -> None:
    resp = await _create(client, auth, login="insp.new.1", name="Сейткали Нурлан",
                         role="inspector", post_code="altynkol")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    user, otp = body["user"], body["one_time_password"]
    assert user["post_code"] == "ALTYNKOL" and user["must_change_password"] is True
    assert user["on_shift"] is False and user["active"] is True
    assert len(otp) >= 12
    stored = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", user["id"])
    assert stored.startswith("$argon2id$") and otp not in stored

    login = await _login(client, "insp.new.1", otp)
    assert login.status_code == 200, login.text
    assert login.json()["user"]["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    blocked = await client.get("/api/inspections", headers=headers)
    assert blocked.status_code == 403 and blocked.json()["code"] == "password_change_required"

    short = await client.post("/api/auth/password", headers=headers,
                              json={"current_password": otp, "new_password": "short-1"})
    assert short.status_code == 422 and short.json()["code"] == "password_too_short"
    wrong = await client.post("/api/auth/password", headers=headers,
                              json={"current_password": "not-it-at-all", "new_password": "x" * 14})
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_current_password"
    changed = await client.post("/api/auth/password", headers=headers,
                                json={"current_password": otp, "new_password": "Жаңа құпия сөз 2026"})
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/inspections", headers=headers)).status_code == 200
    assert (await _login(client, "insp.new.1", otp)).status_code == 401
    again = await _login(client, "insp.new.1", "Жаңа құпия сөз 2026")
    assert again.status_code == 200 and again.json()["user"]["must_change_password"] is False

    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_events WHERE object_type = 'user' AND object_id = $1 ORDER BY seq",
        user["id"])]
    assert actions[0] == "user.created"
    assert "auth.password_changed" in actions and "auth.login_failed" in actions
    payloads = await db.fetch("SELECT payload::text AS p FROM audit_events")
    assert all(otp not in r["p"] and "Жаңа құпия" not in r["p"] for r in payloads)


async def test_password_change_ends_the_other_sessions_only(client) -> None:
    first = await _login(client, "head.alakol", "demo-only")
    second = await _login(client, "head.alakol", "demo-only")
    h1 = {"Authorization": f"Bearer {first.json()['token']}"}
    h2 = {"Authorization": f"Bearer {second.json()['token']}"}
    resp = await client.post("/api/auth/password", headers=h1,
                             json={"current_password": "demo-only", "new_password": "a-long-new-secret"})
    assert resp.status_code == 200 and resp.json()["revoked_sessions"] >= 1
    assert (await client.get("/api/alerts", headers=h1)).status_code == 200
    assert (await client.get("/api/alerts", headers=h2)).status_code == 401


async def test_role_and_post_must_fit(client, auth) -> None:
    cases = [
        {"login": "a.1", "name": "A", "role": "inspector"},  # post roles need a post
        {"login": "a.2", "name": "A", "role": "auditor", "post_code": "ALAKOL"},  # cross-post: none
        {"login": "a.3", "name": "A", "role": "post_head", "post_code": "NOWHERE"},
        {"login": "a.4", "name": "A", "role": "integration", "post_code": "ALAKOL"},
    ]
    for body in cases:
        resp = await _create(client, auth, **body)
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"].startswith(PROBLEM)
        assert resp.json()["code"] == "invalid_user"
    bad_role = await _create(client, auth, login="a.5", name="A", role="superuser")
    assert bad_role.status_code == 400 and bad_role.json()["code"] == "invalid_request"
    taken = await _create(client, auth, login="insp.alakol.1", name="A", role="inspector",
                          post_code="ALAKOL")
    assert taken.status_code == 409 and taken.json()["code"] == "already_exists"


async def test_patch_moves_deactivates_and_audits(client, auth, db) -> None:
    uid = await db.fetchval("SELECT id FROM users WHERE login = 'insp.alakol.2'")
    login = await _login(client, "insp.alakol.2", "demo-only")
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    admin = await auth("admin")
    moved = await client.patch(f"/api/users/{uid}", json={"post_code": "ALTYNKOL"}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["post_code"] == "ALTYNKOL" and moved.json()["on_shift"] is False
    to_auditor = await client.patch(f"/api/users/{uid}", json={"role": "auditor"}, headers=admin)
    assert to_auditor.status_code == 422 and to_auditor.json()["code"] == "invalid_user"
    off = await client.patch(f"/api/users/{uid}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await client.get("/api/inspections", headers=headers)).status_code == 401
    live = await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", uid)
    assert live == 0
    assert (await _login(client, "insp.alakol.2", "demo-only")).status_code == 401
    event = await db.fetchrow("SELECT actor_id, payload FROM audit_events WHERE action = 'user.updated' "
                              "AND object_id = $1 ORDER BY seq DESC LIMIT 1", uid)
    assert event["payload"]["changes"] == {"active": [True, False]}
    assert event["payload"]["revoked_sessions"] >= 1
    unknown = await client.patch("/api/users/nope", json={"active": False}, headers=admin)
    assert unknown.status_code == 404
    extra = await client.patch(f"/api/users/{uid}", json={"password": "x"}, headers=admin)
    assert extra.status_code == 400


async def test_admin_cannot_lock_themself_out(client, auth, db) -> None:
    uid = await db.fetchval("SELECT id FROM users WHERE login = 'admin'")
    for body in ({"active": False}, {"role": "auditor"}):
        resp = await client.patch(f"/api/users/{uid}", json=body, headers=await auth("admin"))
        assert resp.status_code == 422 and resp.json()["code"] == "invalid_user"


async def test_password_reset_shows_a_one_time_password_once(client, auth, db) -> None:
    uid = await db.fetchval("SELECT id FROM users WHERE login = 'idk.alakol'")
    before = await _login(client, "idk.alakol", "demo-only")
    resp = await client.post(f"/api/users/{uid}/password-reset", headers=await auth("admin"))
    assert resp.status_code == 200, resp.text
    otp = resp.json()["one_time_password"]
    assert resp.json()["user"]["must_change_password"] is True
    old = {"Authorization": f"Bearer {before.json()['token']}"}
    assert (await client.get("/api/alerts", headers=old)).status_code == 401
    assert (await _login(client, "idk.alakol", "demo-only")).status_code == 401
    fresh = await _login(client, "idk.alakol", otp)
    assert fresh.status_code == 200 and fresh.json()["user"]["must_change_password"] is True
    listed = await client.get(f"/api/users/{uid}", headers=await auth("admin"))
    assert "one_time_password" not in listed.json()


async def test_list_and_filters(client, auth) -> None:
    resp = await client.get("/api/users", params={"post_code": "alakol", "role": "inspector"},
                            headers=await auth("auditor"))
    assert resp.status_code == 200
    rows = resp.json()
    assert {r["login"] for r in rows} == {"insp.alakol.1", "insp.alakol.2"}
    assert all("password_hash" not in r for r in rows)
    denied = await client.get("/api/users", headers=await auth("head.alakol"))
    assert denied.status_code == 403


async def test_a_one_time_password_allows_only_the_change_and_logout(client, auth, db) -> None:
    made = await _create(client, auth, login="idk.new.1", name="Оператор", role="idk_operator",
                         post_code="ALAKOL")
    otp = made.json()["one_time_password"]
    token = (await _login(client, "idk.new.1", otp)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", "/api/idk/scans"), ("GET", "/api/posts"), ("POST", "/api/devices")):
        resp = await client.request(method, path, headers=headers, json={})
        assert resp.status_code == 403 and resp.json()["code"] == "password_change_required", path
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/posts", headers=headers)).status_code == 401
