"""Login, tokens, logout, revocation."""

from __future__ import annotations


async def test_login_returns_token_and_user(client) -> None:
    resp = await client.post("/api/auth/login", json={"login": "head.altynkol", "password": "demo-only"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["user"]["role"] == "post_head" and body["user"]["post_id"] == "ALTYNKOL"
    me = await client.get("/api/alerts", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


async def test_wrong_password_and_unknown_login(client) -> None:
    for login in ("head.altynkol", "nobody"):
        resp = await client.post("/api/auth/login", json={"login": login, "password": "wrong"})
        assert resp.status_code == 401
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"] == "invalid_credentials"


async def test_missing_and_bad_tokens(client) -> None:
    resp = await client.get("/api/declarations")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"
    resp = await client.get("/api/declarations", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


async def test_logout_revokes_the_token(client) -> None:
    login = await client.post("/api/auth/login", json={"login": "auditor", "password": "demo-only"})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/alerts", headers=headers)).status_code == 401


async def test_admin_revokes_all_sessions_of_a_user(client, auth, db) -> None:
    tokens = []
    for _ in range(2):
        r = await client.post("/api/auth/login", json={"login": "insp.alakol.1", "password": "demo-only"})
        tokens.append(r.json()["token"])
    uid = await db.fetchval("SELECT id FROM users WHERE login = 'insp.alakol.1'")
    denied = await client.post(f"/api/users/{uid}/revoke-sessions", headers=await auth("head.alakol"))
    assert denied.status_code == 403
    resp = await client.post(f"/api/users/{uid}/revoke-sessions", headers=await auth("admin"))
    assert resp.status_code == 200 and resp.json()["revoked"] >= 2
    for t in tokens:
        assert (await client.get("/api/inspections", headers={"Authorization": f"Bearer {t}"})).status_code == 401
    missing = await client.post("/api/users/nope/revoke-sessions", headers=await auth("admin"))
    assert missing.status_code == 404


async def test_passwords_are_argon2id(db) -> None:
    hashes = await db.fetch("SELECT password_hash FROM users")
    assert all(h["password_hash"].startswith("$argon2id$") for h in hashes)


async def test_expired_token_is_refused(client, db) -> None:
    login = await client.post("/api/auth/login", json={"login": "head.alakol", "password": "demo-only"})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.get("/api/alerts", headers=headers)).status_code == 200
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 second' "
                     "WHERE user_id = $1 AND created_at > now() - interval '1 minute'", login.json()["user"]["id"])
    resp = await client.get("/api/alerts", headers=headers)
    assert resp.status_code == 401 and resp.json()["code"] == "unauthenticated"


async def test_tokens_are_stored_only_as_digests(client, db) -> None:
    login = await client.post("/api/auth/login", json={"login": "auditor", "password": "demo-only"})
    token = login.json()["token"]
    stored = await db.fetch("SELECT token_hash FROM sessions")
    assert all(token.encode() not in bytes(r["token_hash"]) for r in stored)
    assert all(len(bytes(r["token_hash"])) == 32 for r in stored)
