"""Bad input on the board, search, review, export, evidence and push endpoints: always a 4xx
problem with a stable code, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

UNKNOWN = "3f0e7a52-0000-4000-8000-000000000000"
CASES: list[tuple[str, str, str, dict[str, Any], Any, int]] = [
    # (method, path, login, params, json body, status)
    ("GET", "/api/board", "auditor", {"post_code": "x" * 100}, None, 404),
    ("GET", "/api/board/stream", "head.alakol", {"max_s": "-1"}, None, 400),
    ("GET", "/api/board/stream", "head.alakol", {"max_s": "soon"}, None, 400),
    ("GET", "/api/declarations/awaiting", "auditor", {}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"verdict": "maybe"}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"limit": "0"}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"offset": "-1"}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"from": "yesterday"}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"override": "perhaps"}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"number": "x" * 65}, None, 400),
    ("GET", "/api/search/declarations", "auditor", {"from": "2026-11-02", "to": "2026-11-01"}, None, 400),
    ("GET", "/api/review-sample", "auditor", {"date": "2026-13-01"}, None, 400),
    ("GET", "/api/review-sample", "auditor", {"date": "2999-01-01"}, None, 409),
    ("POST", f"/api/review-sample/{UNKNOWN}", "auditor", {}, {"status": "reviewed"}, 404),
    ("POST", f"/api/review-sample/{UNKNOWN}", "auditor", {}, {"status": "reviewed", "note": "x" * 4001}, 400),
    ("POST", f"/api/review-sample/{UNKNOWN}", "auditor", {}, [], 400),
    ("GET", "/api/declarations/export", "auditor", {"format": "xls"}, None, 400),
    ("GET", "/api/declarations/export", "auditor", {"to": "31.12.2026"}, None, 400),
    ("GET", "/api/declarations/export", "auditor", {"post_code": "NOWHERE"}, None, 404),
    ("GET", f"/api/declarations/{UNKNOWN}/evidence-package", "auditor", {}, None, 404),
    ("DELETE", f"/api/push/subscriptions/{UNKNOWN}", "head.alakol", {}, None, 404),
    ("POST", "/api/push/subscriptions", "head.alakol", {}, {"endpoint": "http://127.0.0.1/\u0000",
                                                            "keys": {"p256dh": "a", "auth": "b"}}, 400),
    ("POST", "/api/push/subscriptions", "head.alakol", {}, {"endpoint": ""}, 400),
    ("POST", "/api/push/subscriptions", "head.alakol", {}, "text", 400),
]


@pytest.mark.parametrize(("method", "path", "login", "params", "body", "status"), CASES,
                         ids=[f"{m} {p} {q or b}"[:90] for m, p, _, q, b, _ in CASES])
async def test_bad_input_is_a_problem(client, auth, method, path, login, params, body, status) -> None:
    resp = await client.request(method, path, params=params, json=body, headers=await auth(login))
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert isinstance(resp.json()["code"], str)
