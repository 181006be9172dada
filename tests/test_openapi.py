"""The OpenAPI document lists every endpoint of DESIGN.md's contract that is built so far."""

from __future__ import annotations

CONTRACT = [
    ("post", "/api/auth/login"), ("post", "/api/auth/logout"),
    ("post", "/api/devices"), ("post", "/api/devices/{device_id}/approve"),
    ("get", "/api/posts"), ("get", "/api/posts/{code}/policy"),
    ("post", "/api/declarations"), ("get", "/api/declarations"),
    ("get", "/api/declarations/{declaration_id}"), ("get", "/api/declarations/{declaration_id}/gate"),
    ("post", "/api/declarations/{declaration_id}/release"),
    ("post", "/api/idk/scans"), ("post", "/api/idk/scans/{scan_id}/verdict"),
    ("get", "/api/idk/scans/{scan_id}"), ("get", "/api/idk/scans/{scan_id}/image"),
    ("get", "/api/inspections"), ("get", "/api/inspections/{inspection_id}"),
    ("post", "/api/inspections/{inspection_id}/start"), ("post", "/api/inspections/{inspection_id}/counts"),
    ("post", "/api/inspections/{inspection_id}/finish"),
    ("post", "/api/inspections/{inspection_id}/recordings"),
    ("post", "/api/uploads"), ("patch", "/api/uploads/{upload_id}"), ("head", "/api/uploads/{upload_id}"),
    ("get", "/api/recordings/{recording_id}"), ("get", "/api/recordings/{recording_id}/video"),
    ("get", "/api/alerts"), ("post", "/api/alerts/{alert_id}/read"),
    ("get", "/api/audit"), ("get", "/api/audit/verify"),
]


async def test_openapi_lists_the_contract(client) -> None:
    resp = await client.get("/schema/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    missing = [(m, p) for m, p in CONTRACT if m not in paths.get(p, {})]
    assert not missing, missing
    assert resp.json()["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_problems_are_documented_as_json(client) -> None:
    resp = await client.get("/api/declarations/nope", headers={"Authorization": "Bearer test-token-auditor"})
    assert resp.status_code == 404
    body = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail", "code", "instance"} <= set(body)
