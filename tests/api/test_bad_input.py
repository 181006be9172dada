"""Bad input on every endpoint that takes a body, a query or a path: always a 4xx problem.

Malformed JSON, wrong types, unknown fields, missing fields, bad enum values, blank text,
negative counts, unknown ids and bodies over the 1 MiB JSON limit must each answer with a 4xx
`application/problem+json` carrying a stable string `code` — never a 500 — and must leave what
was already accepted as it was.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response

from tests.api.world import World, login_of
from tests.helpers import declaration_payload

PROBLEM = "application/problem+json"
LIMIT = 1 << 20  # Settings.max_json_body
UNKNOWN = "3f0e7a52-0000-4000-8000-000000000000"
_UNSET = object()


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str  # {decl} {insp} {scan} {device} {alert} {rec} {upload}: ALTYNKOL's objects
    role: str
    json: Any = _UNSET
    content: bytes | None = None
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None
    files: Any = None  # "png" or "text": an image part made per case
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 400
    code: str = "invalid_request"


def decl(**over: Any) -> dict[str, Any]:
    body = declaration_payload(post="ALTYNKOL")
    body.update(over)
    return body


def decl_line(**over: Any) -> dict[str, Any]:
    body = declaration_payload(post="ALTYNKOL")
    body["lines"][0].update(over)
    return body


def decl_transport(**over: Any) -> dict[str, Any]:
    body = declaration_payload(post="ALTYNKOL")
    body["transport"].update(over)
    return body


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body.pop(key)
    return body


JSON_HEADERS = {"Content-Type": "application/json"}
# Once a RecursionError in the decoder (a 500 on every JSON endpoint, login included).
DEEP_LIST = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
REASON = "Ориентировка таможенного поста № 12"
# Endpoints with a JSON body, who may call them, and a body they accept.
JSON_ENDPOINTS: list[tuple[str, str, str, Any]] = [
    ("login", "/api/auth/login", "admin", {"login": "admin", "password": "demo-only"}),
    ("declaration", "/api/declarations", "integration", None),  # body made per case
    ("release", "/api/declarations/{decl}/release", "post_head", {"comment": "ok"}),
    ("refuse", "/api/declarations/{decl}/refuse", "post_head", {"reason": REASON}),
    ("order", "/api/declarations/{decl}/order-inspection", "post_head", {"reason": REASON}),
    ("reassign", "/api/inspections/{insp}/reassign", "post_head", {"reason": REASON}),
    ("counts", "/api/inspections/{insp}/counts", "inspector", {"places_counted": 20}),
    ("verdict", "/api/idk/scans/{scan}/verdict", "idk_operator", {"verdict": "clear"}),
    ("device", "/api/devices", "inspector", {"name": "Tab", "public_key_jwk": {}}),
    ("recording", "/api/inspections/{insp}/recordings", "inspector", {}),
    ("chain", "/api/inspections/{insp}/recordings/crosscheck-0001/chain", "inspector", {}),
]

CASES: list[Bad] = []
for name, path, role, _ in JSON_ENDPOINTS:
    CASES += [
        Bad(f"{name}: malformed JSON", "POST", path, role, content=b'{"reason": "unterminated',
            headers=JSON_HEADERS),
        Bad(f"{name}: JSON array", "POST", path, role, json=[1, 2]),
        Bad(f"{name}: JSON string", "POST", path, role, json="text"),
        Bad(f"{name}: null", "POST", path, role, content=b"null", headers=JSON_HEADERS),
        Bad(f"{name}: no body", "POST", path, role, content=b"", headers=JSON_HEADERS),
        Bad(f"{name}: unknown field", "POST", path, role, json={"zzz_unknown": 1}),
        Bad(f"{name}: list nested 1,000 deep", "POST", path, role, content=DEEP_LIST,
            headers=JSON_HEADERS),
        Bad(f"{name}: object nested 1,000 deep", "POST", path, role, content=DEEP_OBJECT,
            headers=JSON_HEADERS),
        Bad(f"{name}: over 1 MiB", "POST", path, role,
            content=b'{"comment": "' + b"x" * LIMIT + b'"}', headers=JSON_HEADERS,
            status=413, code="body_too_large"),
    ]

CASES += [
    # login
    Bad("login: password missing", "POST", "/api/auth/login", "admin", json={"login": "admin"}),
    Bad("login: login a number", "POST", "/api/auth/login", "admin",
        json={"login": 42, "password": "demo-only"}),
    Bad("login: empty login", "POST", "/api/auth/login", "admin",
        json={"login": "", "password": "demo-only"}),
    Bad("login: empty password", "POST", "/api/auth/login", "admin",
        json={"login": "admin", "password": ""}),
    Bad("login: NUL in login", "POST", "/api/auth/login", "admin",
        json={"login": "ad\u0000min", "password": "demo-only"}),
    # declarations: enums, types, unknown and missing fields, blanks, numbers
    Bad("declaration: procedure", "POST", "/api/declarations", "integration",
        json=decl(procedure="smuggling")),
    Bad("declaration: corridor", "POST", "/api/declarations", "integration",
        json=decl(corridor="purple")),
    Bad("declaration: corridor null", "POST", "/api/declarations", "integration",
        json=decl(corridor=None)),
    Bad("declaration: unknown field", "POST", "/api/declarations", "integration",
        json=decl(priority="high")),
    Bad("declaration: unknown line field", "POST", "/api/declarations", "integration",
        json=decl_line(colour="red")),
    Bad("declaration: unknown transport field", "POST", "/api/declarations", "integration",
        json=decl_transport(ship="Aurora")),
    Bad("declaration: lines missing", "POST", "/api/declarations", "integration",
        json=without(decl(), "lines")),
    Bad("declaration: number missing", "POST", "/api/declarations", "integration",
        json=without(decl(), "number")),
    Bad("declaration: transport missing", "POST", "/api/declarations", "integration",
        json=without(decl(), "transport")),
    Bad("declaration: no lines", "POST", "/api/declarations", "integration", json=decl(lines=[])),
    Bad("declaration: empty number", "POST", "/api/declarations", "integration",
        json=decl(number="")),
    Bad("declaration: empty declarant", "POST", "/api/declarations", "integration",
        json=decl(declarant="")),
    Bad("declaration: blank declarant", "POST", "/api/declarations", "integration",
        json=decl(declarant="   ")),
    Bad("declaration: empty description", "POST", "/api/declarations", "integration",
        json=decl_line(description="")),
    Bad("declaration: blank packaging", "POST", "/api/declarations", "integration",
        json=decl_line(packaging=" \t ")),
    Bad("declaration: hs code letters", "POST", "/api/declarations", "integration",
        json=decl_line(hs_code="84713A")),
    Bad("declaration: negative places", "POST", "/api/declarations", "integration",
        json=decl_line(places=-1)),
    Bad("declaration: places as text", "POST", "/api/declarations", "integration",
        json=decl_line(places="twelve")),
    Bad("declaration: fractional places", "POST", "/api/declarations", "integration",
        json=decl_line(places=1.5)),
    Bad("declaration: huge places", "POST", "/api/declarations", "integration",
        json=decl_line(places=10**30)),
    Bad("declaration: negative kg", "POST", "/api/declarations", "integration",
        json=decl_line(gross_kg=-5)),
    Bad("declaration: kg as text", "POST", "/api/declarations", "integration",
        json=decl_line(gross_kg="heavy")),
    Bad("declaration: infinite kg", "POST", "/api/declarations", "integration",
        content=b'{"gross_kg": 1e999}', headers=JSON_HEADERS),
    Bad("declaration: net over gross", "POST", "/api/declarations", "integration",
        json=decl_line(gross_kg=10, net_kg=20)),
    Bad("declaration: unknown post", "POST", "/api/declarations", "integration",
        json=decl(post_code="NOWHERE")),
    Bad("declaration: rail without units", "POST", "/api/declarations", "integration",
        json=decl_transport(wagons=[], containers=[])),
    Bad("declaration: blank wagon", "POST", "/api/declarations", "integration",
        json=decl_transport(wagons=["- -"])),
    Bad("declaration: wagon as number", "POST", "/api/declarations", "integration",
        json=decl_transport(wagons=[58123456])),
    Bad("declaration: blank plate", "POST", "/api/declarations", "integration",
        json=declaration_payload(post="ALAKOL", transport={"vehicle_plate": " - ", "wagons": [],
                                                           "containers": []})),
    Bad("declaration: NUL in declarant", "POST", "/api/declarations", "integration",
        json=decl(declarant="ТОО \u0000 Восток")),
    Bad("declaration: lone surrogate", "POST", "/api/declarations", "integration",
        content=json.dumps(decl(declarant="\ud800")).encode(), headers=JSON_HEADERS),
    Bad("declaration: NUL in a wagon", "POST", "/api/declarations", "integration",
        json=decl_transport(wagons=["5812\u00003456"])),
    # declaration search
    Bad("search: status", "GET", "/api/declarations", "post_head", params={"status": "lost"}),
    Bad("search: limit 0", "GET", "/api/declarations", "post_head", params={"limit": "0"}),
    Bad("search: limit negative", "GET", "/api/declarations", "post_head", params={"limit": "-1"}),
    Bad("search: limit text", "GET", "/api/declarations", "post_head", params={"limit": "ten"}),
    Bad("search: limit too high", "GET", "/api/declarations", "post_head",
        params={"limit": "100000"}),
    Bad("search: offset negative", "GET", "/api/declarations", "post_head",
        params={"offset": "-5"}),
    Bad("search: offset past int64", "GET", "/api/declarations", "post_head",
        params={"offset": str(10**20)}),
    Bad("search: NUL in number", "GET", "/api/declarations", "post_head",
        params={"number": "50508\u0000"}),
    # declarations by id
    Bad("declaration: unknown id", "GET", f"/api/declarations/{UNKNOWN}", "auditor",
        status=404, code="not_found"),
    Bad("declaration: NUL id", "GET", "/api/declarations/ab%00cd", "auditor"),
    Bad("declaration: surrogate id", "GET", "/api/declarations/%ED%A0%80", "auditor",
        status=404, code="not_found"),
    Bad("gate: unknown id", "GET", f"/api/declarations/{UNKNOWN}/gate", "auditor",
        status=404, code="not_found"),
    Bad("release: unknown id", "POST", f"/api/declarations/{UNKNOWN}/release", "post_head",
        json={}, status=404, code="not_found"),
    Bad("refuse: unknown id", "POST", f"/api/declarations/{UNKNOWN}/refuse", "post_head",
        json={"reason": REASON}, status=404, code="not_found"),
    Bad("order: unknown id", "POST", f"/api/declarations/{UNKNOWN}/order-inspection",
        "post_head", json={"reason": REASON}, status=404, code="not_found"),
    # release / refuse / order-inspection bodies
    Bad("release: comment a number", "POST", "/api/declarations/{decl}/release", "post_head",
        json={"comment": 5}),
    Bad("release: override reason too long", "POST", "/api/declarations/{decl}/release",
        "post_head", json={"override_reason": "x" * 4001}),
    Bad("release: override reason too short", "POST", "/api/declarations/{decl}/release",
        "post_head", json={"override_reason": "because"}),
    Bad("refuse: reason missing", "POST", "/api/declarations/{decl}/refuse", "post_head",
        json={}),
    Bad("refuse: empty reason", "POST", "/api/declarations/{decl}/refuse", "post_head",
        json={"reason": ""}),
    Bad("refuse: blank reason", "POST", "/api/declarations/{decl}/refuse", "post_head",
        json={"reason": " " * 12}),
    Bad("refuse: reason a list", "POST", "/api/declarations/{decl}/refuse", "post_head",
        json={"reason": ["a"] * 12}),
    Bad("order: empty reason", "POST", "/api/declarations/{decl}/order-inspection", "post_head",
        json={"reason": ""}),
    Bad("order: blank reason", "POST", "/api/declarations/{decl}/order-inspection", "post_head",
        json={"reason": "\n" * 20}),
    # inspections
    Bad("inspections: status", "GET", "/api/inspections", "post_head", params={"status": "done"}),
    Bad("inspections: mine", "GET", "/api/inspections", "inspector", params={"mine": "perhaps"}),
    Bad("inspection: unknown id", "GET", f"/api/inspections/{UNKNOWN}", "post_head",
        status=404, code="not_found"),
    Bad("start: unknown id", "POST", f"/api/inspections/{UNKNOWN}/start", "inspector",
        status=404, code="not_found"),
    Bad("finish: unknown id", "POST", f"/api/inspections/{UNKNOWN}/finish", "inspector",
        status=404, code="not_found"),
    Bad("counts: unknown id", "POST", f"/api/inspections/{UNKNOWN}/counts", "inspector",
        json={"places_counted": 3}, status=404, code="not_found"),
    Bad("reassign: unknown id", "POST", f"/api/inspections/{UNKNOWN}/reassign", "post_head",
        json={"reason": REASON}, status=404, code="not_found"),
    Bad("reassign: empty reason", "POST", "/api/inspections/{insp}/reassign", "post_head",
        json={"reason": ""}),
    Bad("counts: negative places", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": -1}),
    Bad("counts: negative items", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": 3, "items_counted": -3}),
    Bad("counts: places as text", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": "twenty"}),
    Bad("counts: places missing", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"items_counted": 3}),
    Bad("counts: places a bool", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": True}),
    Bad("counts: huge places", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": 2**63}),
    Bad("counts: unknown field", "POST", "/api/inspections/{insp}/counts", "inspector",
        json={"places_counted": 3, "weight": 1}),
    # IDK scans: verdicts
    Bad("verdict: value", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "maybe"}),
    Bad("verdict: missing", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"risk_areas": []}),
    Bad("verdict: negative x", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": -1, "y": 0, "w": 5, "h": 5}]}),
    Bad("verdict: zero width", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": 1, "y": 0, "w": 0, "h": 5}]}),
    Bad("verdict: area as text", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": "left", "y": 0, "w": 2, "h": 5}]}),
    Bad("verdict: unknown area field", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": 1, "y": 0, "w": 2, "h": 5, "r": 1}]}),
    Bad("verdict: area outside image", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": 90, "y": 0, "w": 50, "h": 5}]},
        status=422, code="risk_area_outside_image"),
    Bad("verdict: huge area", "POST", "/api/idk/scans/{scan}/verdict", "idk_operator",
        json={"verdict": "suspicion", "risk_areas": [{"x": 2**62, "y": 0, "w": 2**62, "h": 5}]},
        status=422, code="risk_area_outside_image"),
    Bad("verdict: unknown scan", "POST", f"/api/idk/scans/{UNKNOWN}/verdict", "idk_operator",
        json={"verdict": "clear"}, status=404, code="not_found"),
    # IDK scans: reads
    Bad("scans: verdict filter", "GET", "/api/idk/scans", "post_head", params={"verdict": "ok"}),
    Bad("scans: limit 0", "GET", "/api/idk/scans", "post_head", params={"limit": "0"}),
    Bad("scans: limit negative", "GET", "/api/idk/scans", "post_head", params={"limit": "-2"}),
    Bad("scans: unlinked", "GET", "/api/idk/scans", "post_head", params={"unlinked": "2"}),
    Bad("scan: unknown id", "GET", f"/api/idk/scans/{UNKNOWN}", "post_head",
        status=404, code="not_found"),
    Bad("scan image: unknown id", "GET", f"/api/idk/scans/{UNKNOWN}/image", "post_head",
        status=404, code="not_found"),
    # IDK scans: multipart upload
    Bad("upload: image missing", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-1", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}),
    Bad("upload: image_id missing", "POST", "/api/idk/scans", "idk_operator",
        form={"scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="png"),
    Bad("upload: empty image_id", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="png"),
    Bad("upload: image_id with a slash", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "../etc", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="png"),
    Bad("upload: blank scanner", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-2", "scanner": "  ", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="png"),
    Bad("upload: scanned_at garbage", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-3", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "yesterday"}, files="png"),
    Bad("upload: scanned_at without offset", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-4", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00"}, files="png"),
    Bad("upload: scanned before year 1 in UTC", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-11", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "0001-01-01T00:00:00+14:00"}, files="png"),
    Bad("upload: scanned after year 9999 in UTC", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-12", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "9999-12-31T23:59:59-14:00"}, files="png"),
    Bad("upload: nothing to link by", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-5", "scanner": "S", "scanned_at": "2026-11-22T10:15:00+06:00"},
        files="png"),
    Bad("upload: bad container", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-6", "scanner": "S", "container_numbers": "NOT-A-BOX",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="png",
        code="invalid_container_number"),
    Bad("upload: unknown field", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-7", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00", "colour": "red"}, files="png"),
    Bad("upload: not an image", "POST", "/api/idk/scans", "idk_operator",
        form={"image_id": "BAD-8", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}, files="text",
        status=422, code="invalid_image"),
    Bad("upload: JSON instead of a form", "POST", "/api/idk/scans", "idk_operator",
        json={"image_id": "BAD-9", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00"}),
    Bad("upload: broken multipart", "POST", "/api/idk/scans", "idk_operator",
        content=b"--xyz\r\nContent-Disposition: form-data; name=\"image_id\"\r\n\r\nA",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"}),
    Bad("upload: multipart without boundary", "POST", "/api/idk/scans", "idk_operator",
        content=b"image_id=A", headers={"Content-Type": "multipart/form-data"}),
    Bad("upload: admin names an unknown post", "POST", "/api/idk/scans", "admin",
        form={"image_id": "BAD-10", "scanner": "S", "wagon_number": "58123456",
              "scanned_at": "2026-11-22T10:15:00+06:00", "post_code": "NOWHERE"}, files="png"),
    # devices
    Bad("device: blank name", "POST", "/api/devices", "inspector",
        json={"name": "  ", "public_key_jwk": {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}}),
    Bad("device: NUL in name", "POST", "/api/devices", "inspector",
        json={"name": "Tab\u0000", "public_key_jwk": {"kty": "EC", "crv": "P-256", "x": "a",
                                                      "y": "b"}}),
    Bad("device: name missing", "POST", "/api/devices", "inspector",
        json={"public_key_jwk": {"kty": "EC"}}),
    Bad("device: empty name", "POST", "/api/devices", "inspector",
        json={"name": "", "public_key_jwk": {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}}),
    Bad("device: key a string", "POST", "/api/devices", "inspector",
        json={"name": "Tab", "public_key_jwk": "-----BEGIN PUBLIC KEY-----"}),
    Bad("device: RSA key", "POST", "/api/devices", "inspector",
        json={"name": "Tab", "public_key_jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}),
    Bad("device: point off the curve", "POST", "/api/devices", "inspector",
        json={"name": "Tab", "public_key_jwk": {"kty": "EC", "crv": "P-256", "x": "A" * 43,
                                                "y": "A" * 43}}),
    Bad("device: coordinates not strings", "POST", "/api/devices", "inspector",
        json={"name": "Tab", "public_key_jwk": {"kty": "EC", "crv": "P-256", "x": [1],
                                                "y": {"a": 1}}}),
    Bad("device: unknown id", "GET", f"/api/devices/{UNKNOWN}", "post_head",
        status=404, code="not_found"),
    Bad("approve: unknown id", "POST", f"/api/devices/{UNKNOWN}/approve", "post_head",
        status=404, code="not_found"),
    Bad("revoke: unknown id", "POST", f"/api/devices/{UNKNOWN}/revoke", "admin",
        status=404, code="not_found"),
    # posts, users, alerts, audit
    Bad("policy: unknown post", "GET", "/api/posts/NOWHERE/policy", "auditor",
        status=404, code="not_found"),
    Bad("revoke sessions: unknown user", "POST", f"/api/users/{UNKNOWN}/revoke-sessions",
        "admin", status=404, code="not_found"),
    Bad("alerts: unread", "GET", "/api/alerts", "post_head", params={"unread": "often"}),
    Bad("alert read: unknown id", "POST", f"/api/alerts/{UNKNOWN}/read", "post_head",
        status=404, code="not_found"),
    Bad("audit: after negative", "GET", "/api/audit", "auditor", params={"after": "-1"}),
    Bad("audit: limit 0", "GET", "/api/audit", "auditor", params={"limit": "0"}),
    Bad("audit: limit too high", "GET", "/api/audit", "auditor", params={"limit": "1000000"}),
    Bad("audit: after past int64", "GET", "/api/audit", "auditor", params={"after": str(10**20)}),
    Bad("audit: after text", "GET", "/api/audit", "auditor", params={"after": "start"}),
    # recordings and uploads
    Bad("recording: phase", "POST", "/api/inspections/{insp}/recordings", "inspector",
        json={"client_id": "client-0001", "phase": "lunch", "upload_id": "u", "manifest": {},
              "signature": "c2ln"}),
    Bad("recording: manifest nested 1,000 deep", "POST", "/api/inspections/{insp}/recordings",
        "inspector", content=b'{"client_id": "client-deep-01", "phase": "unloading", '
        b'"upload_id": "u", "signature": "c2ln", "manifest": ' + DEEP_OBJECT + b"}",
        headers=JSON_HEADERS),
    Bad("recording: client id too short", "POST", "/api/inspections/{insp}/recordings",
        "inspector", json={"client_id": "c", "phase": "unloading", "upload_id": "u",
                           "manifest": {}, "signature": "c2ln"}),
    Bad("recording: manifest a list", "POST", "/api/inspections/{insp}/recordings", "inspector",
        json={"client_id": "client-0002", "phase": "unloading", "upload_id": "u",
              "manifest": [], "signature": "c2ln"}),
    Bad("recording: empty signature", "POST", "/api/inspections/{insp}/recordings", "inspector",
        json={"client_id": "client-0003", "phase": "unloading", "upload_id": "u",
              "manifest": {}, "signature": ""}),
    Bad("recording: unknown inspection", "POST", f"/api/inspections/{UNKNOWN}/recordings",
        "inspector", json={"client_id": "client-0004", "phase": "unloading", "upload_id": "u",
                           "manifest": {}, "signature": "c2ln"}, status=404, code="not_found"),
    Bad("chain: negative chunk size", "POST",
        "/api/inspections/{insp}/recordings/client-0005/chain", "inspector",
        json={"phase": "unloading", "device_id": "d", "chain_head": "0" * 64,
              "chunks": [{"i": 0, "size": -1, "sha256": "0" * 64}], "signature": "c2ln"}),
    Bad("chain: no chunks", "POST", "/api/inspections/{insp}/recordings/client-0006/chain",
        "inspector", json={"phase": "unloading", "device_id": "d", "chain_head": "0" * 64,
                           "chunks": [], "signature": "c2ln"}),
    Bad("recording: unknown id", "GET", f"/api/recordings/{UNKNOWN}", "auditor",
        status=404, code="not_found"),
    Bad("video: unknown id", "GET", f"/api/recordings/{UNKNOWN}/video", "auditor",
        status=404, code="not_found"),
    Bad("video: redirect", "GET", "/api/recordings/{rec}/video", "auditor",
        params={"redirect": "sometimes"}),
    Bad("upload: unknown id", "PATCH", f"/api/uploads/{UNKNOWN}", "inspector", content=b"x",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                 "Content-Type": "application/offset+octet-stream"},
        status=404, code="upload_not_found"),
    Bad("upload: negative offset", "PATCH", "/api/uploads/{upload}", "inspector", content=b"x",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "-1",
                 "Content-Type": "application/offset+octet-stream"}, code="tus_bad_header"),
    Bad("upload: NUL in metadata", "POST", "/api/uploads", "inspector",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10",
                 "Upload-Metadata": "inspection_id {insp64},phase dW5sb2FkaW5n,"
                                    "client_id Y2xpZW50LW51bC0wMQ==,filetype dmlkZW8vd2VibQBY"}),
    Bad("upload: negative length", "POST", "/api/uploads", "inspector",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": "-10", "Upload-Metadata": ""},
        code="tus_bad_header"),
]


def _files(kind: str, world: World) -> dict[str, Any]:
    if kind == "png":
        return world.scan_form()["files"]
    return {"image": ("scan.png", b"wagon 58123456 and nothing else\n", "image/png")}


async def send(world: World, case: Bad) -> Response:
    fmt = {"insp64": base64.b64encode(world.inspection["ALTYNKOL"].encode()).decode()}
    headers = {k: v.format(**fmt) for k, v in case.headers.items()}
    path = case.path.format(
        decl=world.decl["ALTYNKOL"], insp=world.inspection["ALTYNKOL"],
        scan=world.scan["ALTYNKOL"], device=world.device["ALTYNKOL"], alert=world.alert,
        rec=world.recording["ALTYNKOL"], upload=world.upload["ALTYNKOL"],
    )
    kw: dict[str, Any] = {"params": case.params, "content": case.content}
    if case.json is not _UNSET:
        kw["json"] = case.json
    if case.form is not None:
        kw["data"] = case.form
        kw["files"] = _files(case.files, world) if isinstance(case.files, str) else case.files
    headers = {**world.headers(login_of(case.role)), **headers}
    return await world.client.request(case.method, path, headers=headers, **kw)


def assert_problem(resp: Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM), resp.headers
    body = resp.json()
    assert body["code"] == code, body
    assert body["status"] == status and isinstance(body["title"], str), body


async def snapshot(world: World) -> tuple[Any, ...]:
    """What the bad requests must not touch: ALTYNKOL's objects as the database holds them."""
    db = world.db
    return (
        await db.fetchval("SELECT count(*) FROM declarations"),
        tuple(await db.fetchrow("SELECT status, corridor, inspection_reasons FROM declarations "
                                "WHERE id = $1", world.decl["ALTYNKOL"])),
        tuple(await db.fetchrow("SELECT inspector_id, status, places_counted, items_counted "
                                "FROM inspections WHERE id = $1", world.inspection["ALTYNKOL"])),
        tuple(await db.fetchrow("SELECT verdict, risk_areas FROM idk_scans WHERE id = $1",
                                world.scan["ALTYNKOL"])),
        await db.fetchval("SELECT count(*) FROM idk_scans"),
        await db.fetchval("SELECT count(*) FROM devices"),
        await db.fetchval("SELECT count(*) FROM recordings"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_bad_input_is_a_4xx_problem(world: World, case: Bad) -> None:
    before = await snapshot(world)
    resp = await send(world, case)
    assert_problem(resp, case.status, case.code)
    assert await snapshot(world) == before, "a refused request changed accepted data"


async def test_body_over_the_limit_without_a_length_is_413(world: World) -> None:
    """A streamed body names no length up front; the limit still holds while it is read."""
    request = world.client.build_request(
        "POST", f"/api/declarations/{world.decl['ALTYNKOL']}/release",
        content=b'{"comment": "' + b"x" * LIMIT + b'"}',
        headers={**world.headers(login_of("post_head")), **JSON_HEADERS},
    )
    del request.headers["content-length"]
    assert_problem(await world.client.send(request), 413, "body_too_large")


async def test_bad_replays_leave_the_declaration_intact(world: World) -> None:
    keden = world.headers("keden")
    body = declaration_payload(post="ALTYNKOL")
    first = await world.client.post("/api/declarations", json=body, headers=keden)
    assert first.status_code == 201, first.text
    original = first.json()
    replays = [
        (dict(body, declarant="ТОО «Другой»"), 409, "already_exists"),
        (dict(body, corridor="red"), 409, "already_exists"),
        (dict(body, procedure="smuggling"), 400, "invalid_request"),
        (dict(body, lines=[]), 400, "invalid_request"),
        (dict(body, extra_field=True), 400, "invalid_request"),
    ]
    for replay, status, code in replays:
        resp = await world.client.post("/api/declarations", json=replay, headers=keden)
        assert_problem(resp, status, code)
    same = await world.client.post("/api/declarations", json=body, headers=keden)
    assert same.status_code == 200 and same.json() == original
    read = await world.client.get(f"/api/declarations/{original['id']}", headers=keden)
    assert read.json() == original
    assert await world.db.fetchval(
        "SELECT count(*) FROM declarations WHERE number = $1", body["number"]) == 1


async def test_bad_verdict_and_counts_keep_what_was_accepted(world: World) -> None:
    """A valid verdict and counts, then bad ones: the accepted values stay."""
    operator = world.headers(login_of("idk_operator"))
    scan = await world.scan_id()
    ok = await world.client.post(f"/api/idk/scans/{scan}/verdict", json={"verdict": "clear"},
                                 headers=operator)
    assert ok.status_code == 200, ok.text
    bad = await world.client.post(f"/api/idk/scans/{scan}/verdict",
                                  json={"verdict": "suspicion", "risk_areas": "all"},
                                  headers=operator)
    assert_problem(bad, 400, "invalid_request")
    again = await world.client.post(f"/api/idk/scans/{scan}/verdict",
                                    json={"verdict": "suspicion"}, headers=operator)
    assert_problem(again, 409, "verdict_final")
    got = await world.client.get(f"/api/idk/scans/{scan}", headers=operator)
    assert got.json()["verdict"] == "clear"

    inspector = world.headers(login_of("inspector"))
    insp = await world.inspection_id(started=True)
    url = f"/api/inspections/{insp}/counts"
    ok = await world.client.post(url, json={"places_counted": 20, "items_counted": 400},
                                 headers=inspector)
    assert ok.status_code == 200, ok.text
    for body in ({"places_counted": -20}, {"places_counted": None}, {"items_counted": 1}):
        assert_problem(await world.client.post(url, json=body, headers=inspector),
                       400, "invalid_request")
    view = (await world.client.get(f"/api/inspections/{insp}", headers=inspector)).json()
    assert (view["places_counted"], view["items_counted"]) == (20, 400)


async def test_a_blank_discrepancy_note_is_no_act(world: World) -> None:
    """Counts that differ from the declaration pass the gate only with a discrepancy act."""
    inspector = world.headers(login_of("inspector"))
    insp = await world.inspection_id(started=True)
    resp = await world.client.post(f"/api/inspections/{insp}/counts", headers=inspector,
                                   json={"places_counted": 3, "discrepancy_note": "  \n "})
    assert resp.status_code == 200, resp.text
    assert resp.json()["discrepancy_note"] is None
    gate = await world.client.get(f"/api/declarations/{resp.json()['declaration_id']}/gate",
                                  headers=world.headers(login_of("post_head")))
    met = {c["code"]: c["met"] for c in gate.json()["conditions"]}
    assert met["counts_reconciled"] is False
