"""The requests that used to answer 500, one by one, and what they answer now; CORS."""

from __future__ import annotations

import httpx

from tests.recordings.server import ServerProcess

DEEP = b'{"login":' * 1000 + b'"x"' + b"}" * 1000


def problem(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == code


async def test_the_former_500s(ops_server: ServerProcess, tokens: dict[str, str]) -> None:
    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    inspector = {"Authorization": f"Bearer {tokens['insp.altynkol.1']}"}
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        # OPTIONS on a guarded endpoint: 401 without a token, the Allow list with one.
        problem(await client.options("/api/audit"), 401, "unauthenticated")
        ok = await client.options("/api/audit", headers=auditor)
        assert ok.status_code == 204 and "GET" in ok.headers["allow"]
        problem(await client.options("/api/audit", headers=inspector), 403, "forbidden")
        # JSON nested 1,000 deep, login included.
        keden = {"Authorization": f"Bearer {tokens['keden']}"}
        for path, headers in (("/api/auth/login", {}), ("/api/declarations", keden)):
            resp = await client.post(path, content=DEEP,
                                     headers={**headers, "Content-Type": "application/json"})
            assert resp.status_code == 400, resp.text
            assert resp.json()["code"] == "invalid_request"
        # Non-ASCII digits in tus headers.
        for name in (b"upload-length", b"upload-offset"):
            resp = await client.post("/api/uploads", headers=[
                (b"authorization", inspector["Authorization"].encode()),
                (b"tus-resumable", b"1.0.0"), (name, b"\xb2"),
            ])
            assert resp.status_code == 400, resp.text
            assert resp.json()["code"] == "tus_bad_header"
        # A NUL in a static path.
        problem(await client.get("/index.html%00.js"), 400, "invalid_request")


async def test_cors_is_same_origin_by_default(ops_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        pre = await client.options("/api/auth/login", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 400
        assert "access-control-allow-origin" not in pre.headers
        simple = await client.get("/api/posts", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers


async def test_named_cors_origin_is_allowed(ops_db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    origin = "https://desk.customs.example"
    server = ServerProcess(ops_db_url, tmp_path,
                           env_extra={"DOSMOTR_CORS_ORIGINS": f"{origin}, https://other.example"})
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            pre = await client.options("/api/auth/login", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization"})
            assert pre.status_code == 204, pre.text
            assert pre.headers["access-control-allow-origin"] == origin
            login = await client.post("/api/auth/login", headers={"Origin": origin},
                                      json={"login": "auditor", "password": "demo-only"})
            assert login.status_code == 200
            assert login.headers["access-control-allow-origin"] == origin
            assert "x-request-id" in login.headers["access-control-expose-headers"].lower()
            other = await client.options("/api/auth/login", headers={
                "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
            assert other.status_code == 400
    finally:
        server.stop()


async def test_security_headers_and_request_id(ops_server: ServerProcess,
                                               tokens: dict[str, str]) -> None:
    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        for resp in (await client.get("/"), await client.get("/api/posts", headers=auditor),
                     await client.get("/api/nothing-here", headers=auditor),
                     await client.get("/api/posts")):
            h = resp.headers
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert "script-src 'self'" in h["content-security-policy"]
            assert "unsafe-inline" not in h["content-security-policy"]
            assert h["x-content-type-options"] == "nosniff"
            assert h["x-frame-options"] == "DENY"
            assert h["referrer-policy"] == "no-referrer"
            assert "camera=(self)" in h["permissions-policy"]
            assert "geolocation=(self)" in h["permissions-policy"]
            assert len(h["x-request-id"]) >= 16
        mine = await client.get("/api/posts", headers={**auditor, "X-Request-ID": "trace-42.a"})
        assert mine.headers["x-request-id"] == "trace-42.a"
        bad = await client.get("/api/posts", headers={**auditor, "X-Request-ID": "a b\"<x>" * 30})
        assert bad.headers["x-request-id"] != "a b\"<x>" * 30
        problem_resp = await client.get("/api/posts", headers={"X-Request-ID": "trace-43"})
        assert problem_resp.json()["request_id"] == "trace-43"
