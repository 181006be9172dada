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


# --- an honest document: problems, media types, security, ids (backend/ops/openapi.py) -------

OPERATIONS = ("get", "post", "put", "patch", "delete", "head")
WRITES = ("post", "put", "patch", "delete")


async def _document(client) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.get("/schema/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def _operations(doc: dict):  # type: ignore[no-untyped-def]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in OPERATIONS:
                yield path, method, op


def _problem_ref(response: dict) -> str:
    schema = response["content"]["application/problem+json"]["schema"]
    return schema["$ref"].rsplit("/", 1)[-1]


async def test_every_operation_lists_its_problems(client) -> None:
    doc = await _document(client)
    schemas = doc["components"]["schemas"]
    assert {"type", "title", "status", "code"} <= set(schemas["Problem"]["required"])
    assert schemas["ReleaseRefusedProblem"]["allOf"][0]["$ref"].endswith("/Problem")
    ops = list(_operations(doc))
    assert len(ops) > 60
    for path, method, op in ops:
        where = f"{method} {path}"
        responses = op["responses"]
        for code, response in responses.items():
            if int(code) >= 400 and code not in ("405", "416"):
                assert _problem_ref(response) in schemas, where
                assert "application/json" not in response["content"], where
        public = op.get("security") == []
        if path != "/healthz":
            assert "503" in responses, where
            assert "Retry-After" in responses["503"]["headers"], where
        if not public:
            assert {"401", "403"} <= set(responses), where
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert "404" in responses, where
        if method in WRITES:
            assert {"400", "409", "413", "415", "422"} <= set(responses), where
    release = doc["paths"]["/api/declarations/{declaration_id}/release"]["post"]["responses"]
    assert _problem_ref(release["409"]) == "ReleaseRefusedProblem"
    assert "unmet" in schemas["ReleaseRefusedProblem"]["allOf"][1]["properties"]
    login = doc["paths"]["/api/auth/login"]["post"]
    assert login["security"] == [] and "429" in login["responses"]
    assert "401" not in login["responses"]
    assert "Retry-After" in login["responses"]["429"]["headers"]
    ready = doc["paths"]["/readyz"]["get"]
    assert ready["security"] == [] and _problem_ref(ready["responses"]["503"]) == "NotReadyProblem"
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    # Secured by the global bearer requirement.
    assert doc["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/api/audit"]["get"]


BINARY = [
    ("/api/recordings/{recording_id}/video", "video/"),
    ("/api/recordings/{recording_id}/stream/{name}", "video/"),
    ("/api/idk/scans/{scan_id}/image", "image/"),
    ("/api/idk/scans/{scan_id}/display", "image/png"),
    ("/api/idk/scans/{scan_id}/conclusion.pdf", "application/pdf"),
    ("/api/declarations/{declaration_id}/evidence-package", "application/zip"),
    ("/api/declarations/export", "text/csv"),
    ("/api/declarations/export", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/board/stream", "text/event-stream"),
]


async def test_binary_and_stream_responses_are_typed(client) -> None:
    doc = await _document(client)
    for path, want in BINARY:
        ok = doc["paths"][path]["get"]["responses"]["200"]
        types = list(ok["content"])
        assert any(t.startswith(want) for t in types), (path, types)
        assert "application/json" not in types, path
    video = doc["paths"]["/api/recordings/{recording_id}/video"]["get"]["responses"]
    assert "206" in video and "416" in video
    assert video["200"]["content"]["video/mp4"]["schema"]["format"] == "binary"
    # Nothing to read in a 204 or a HEAD.
    assert "content" not in doc["paths"]["/api/auth/logout"]["post"]["responses"]["204"]
    assert "content" not in doc["paths"]["/api/uploads/{upload_id}"]["head"]["responses"]["200"]


async def test_operation_ids_and_descriptions(client) -> None:
    import re

    doc = await _document(client)
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert doc["paths"]["/api/declarations/{declaration_id}/release"]["post"]["operationId"] \
        == "declaration_release"
    assert doc["paths"]["/api/auth/login"]["post"]["operationId"] == "auth_login"
    login = doc["paths"]["/api/auth/login"]["post"]
    assert login["description"].startswith("Log in.")
    assert doc["paths"]["/readyz"]["get"]["description"].startswith("The database")
