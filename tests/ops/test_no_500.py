"""No request makes a 500: every route of the app's own route table, over real HTTP, with
OPTIONS, HEAD and unknown methods, JSON nested 1,000 deep, non-ASCII digits in the tus headers
and NUL bytes in the path; each as nobody and as every role. A 4xx answer is a problem+json
with a stable code; every answer carries the security headers and a request id."""

from __future__ import annotations

import json
from typing import Any

import httpx
from litestar.routes import HTTPRoute

from backend.app import create_app
from backend.settings import Settings
from tests.recordings.server import ServerProcess

UNKNOWN = "3f0e7a52-0000-4000-8000-000000000000"
ROLES = ("admin", "auditor", "keden", "insp.altynkol.1", "head.altynkol", "idk.altynkol")
DEEP_LIST = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
# '²' and '٣' pass str.isdigit(); as latin-1 header bytes '²' arrives intact.
TUS_HEADERS = [
    (b"tus-resumable", b"1.0.0"),
    (b"upload-offset", b"\xb2"),
    (b"upload-length", b"\xb2\xb2"),
    (b"upload-checksum", b"sha256 \xb2\xb2"),
    (b"upload-metadata", b"inspection_id \xb2,phase \xe9"),
    (b"upload-defer-length", b"\xb2"),
    (b"range", b"bytes=\xb2-\xb3"),
    (b"content-type", b"application/offset+octet-stream"),
]


def route_table(tmp_path: Any) -> list[tuple[str, list[str]]]:
    """(a concrete path, its methods) for every HTTP route the app has."""
    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_TOKEN_PEPPER": "x"})
    app = create_app(settings, dsn="postgresql://unused")
    table = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        values = {
            name: "index.html" if p.type.__name__ == "Path" else 1 if p.type is int else UNKNOWN
            for name, p in route.path_parameters.items()
        }
        table.append((route.path_format.format(**values), sorted(route.methods)))
    # Logging out ends the session the later probes use: last.
    return sorted(table, key=lambda entry: entry[0].endswith("/logout"))


def check(resp: httpx.Response, what: str, failures: list[str]) -> None:
    if resp.status_code >= 500:
        failures.append(f"{what}: {resp.status_code} {resp.content[:200]!r}")
        return
    # The schema viewer's own pages (/schema/...) answer an unknown page with an HTML 404.
    schema_page = resp.request.url.path.startswith("/schema/")
    if resp.status_code >= 400 and resp.request.method != "HEAD" and not schema_page:
        ctype = resp.headers.get("content-type", "")
        if not ctype.startswith("application/problem+json"):
            failures.append(f"{what}: {resp.status_code} is not a problem ({ctype})")
        elif not isinstance(json.loads(resp.content).get("code"), str):
            failures.append(f"{what}: problem without a code")
    for header in ("content-security-policy", "x-content-type-options", "x-request-id"):
        if header not in resp.headers:
            failures.append(f"{what}: no {header}")


async def probe(client: httpx.AsyncClient, method: str, path: str, headers: list[Any],
                content: bytes | None, what: str, failures: list[str]) -> None:
    request = client.build_request(method, path, headers=headers, content=content)
    resp = await client.send(request, stream=True)  # a stream (SSE, video) is not read out
    try:
        if resp.status_code >= 400:
            await resp.aread()
        check(resp, what, failures)
    finally:
        await resp.aclose()


async def test_no_request_answers_500(ops_server: ServerProcess, tokens: dict[str, str],
                                      tmp_path: Any) -> None:
    table = route_table(tmp_path)
    assert len(table) > 50 and any(path == "/api/auth/login" for path, _ in table)
    failures: list[str] = []
    auths: list[tuple[str, list[Any]]] = [("nobody", [])] + [
        (role, [(b"authorization", f"Bearer {tokens[role]}".encode())]) for role in ROLES
    ]
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        for path, methods in table:
            for who, auth in auths:
                for method in ("OPTIONS", "HEAD", "PROPFIND", "TRACE", "PURGE"):
                    await probe(client, method, path, auth, None, f"{who} {method} {path}",
                                failures)
                for method in methods:
                    if method in ("OPTIONS", "HEAD"):
                        continue
                    json_type = [(b"content-type", b"application/json")]
                    for name, body in (("deep list", DEEP_LIST), ("deep object", DEEP_OBJECT)):
                        await probe(client, method, path, auth + json_type, body,
                                    f"{who} {method} {path} {name}", failures)
                    await probe(client, method, path, auth + TUS_HEADERS, b"x",
                                f"{who} {method} {path} tus digits", failures)
                    await probe(client, method, path + "%00", auth, None,
                                f"{who} {method} {path}%00", failures)
    assert not failures, "\n".join(failures[:200]) + f"\n({len(failures)} in all)"


async def test_nul_bytes_in_static_and_api_paths(ops_server: ServerProcess,
                                                 tokens: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['auditor']}"}
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        for path in ("/index.html%00.js", "/%00", "/js/%00app.js", "/api/audit%00",
                     f"/api/recordings/{UNKNOWN}%00/video"):
            resp = await client.get(path, headers=auth)
            assert resp.status_code == 400, (path, resp.text)
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert resp.json()["code"] == "invalid_request"
        # The PWA itself is still served.
        assert (await client.get("/index.html")).status_code == 200
