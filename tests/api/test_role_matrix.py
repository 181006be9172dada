"""Who may call what: one table for every route the app has, swept for every role.

The table is checked against the app's own routes, so a route added without a row here fails
`test_the_table_covers_every_route`. Each row says which roles may call the endpoint and how
to build a request that would succeed for them; the sweep then checks that every other role
gets 403 `forbidden` (never a 2xx, never a 500) and every allowed role gets its success status.
Post roles are the ALTYNKOL demo users; cross-post reads and writes must answer 404.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.routes import HTTPRoute

from backend.auth import permissions
from backend.auth.actor import ROLES, Actor
from backend.recordings.tus import encode_metadata
from backend.settings import Settings
from tests.api.world import OTHER, POSTS, World, login_of, p256_jwk
from tests.helpers import declaration_payload
from tests.recordings.kit import new_client_id

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] | None = None  # None: the role's own token
    extra: dict[str, str] = field(default_factory=dict)  # sent besides the token


Build = Callable[[World, str], Awaitable[Call]]


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    build: Build
    ok: frozenset[int] = frozenset({200})
    public: bool = False  # callable without a token
    note: str = ""


def rule(allowed: Iterable[str], build: Build, *, ok: tuple[int, ...] = (200,),
         public: bool = False, note: str = "") -> Rule:
    return Rule(frozenset(allowed), build, frozenset(ok), public, note)


def fixed(path: str, **kw: Any) -> Build:
    async def build(w: World, role: str) -> Call:
        return Call(path.format(**_ids(w)), **kw)
    return build


def _ids(w: World) -> dict[str, str]:
    return {"decl": w.decl["ALTYNKOL"], "insp": w.inspection["ALTYNKOL"],
            "scan": w.scan["ALTYNKOL"], "device": w.device["ALTYNKOL"], "alert": w.alert,
            "user": w.bystander, "rec": w.recording["ALTYNKOL"], "upload": w.upload["ALTYNKOL"]}


ALL = frozenset(ROLES)
HUMANS = ALL - {"integration"}
POST_READERS = frozenset({"inspector", "post_head", "auditor", "admin"})
IDK_READERS = frozenset({"idk_operator", "post_head", "inspector", "auditor", "admin"})
AUDIT = frozenset({"auditor", "admin"})
RECORDERS = frozenset({"inspector", "post_head"})
TUS = {"Tus-Resumable": "1.0.0"}
REASON = {"reason": "Ориентировка таможенного поста № 12"}


# --- builders of requests that succeed for an allowed role ------------------------------------

async def _login(w: World, role: str) -> Call:
    return Call("/api/auth/login", json={"login": login_of(role), "password": "demo-only"},
                headers={})


async def _logout(w: World, role: str) -> Call:
    # A session of its own, so the role's shared token lives on for the other cases.
    token = await w.fresh_token(login_of(role))
    return Call("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})


async def _register_device(w: World, role: str) -> Call:
    return Call("/api/devices", json={"name": "Планшет", "public_key_jwk": p256_jwk()})


def _device_action(action: str) -> Build:
    async def build(w: World, role: str) -> Call:
        return Call(f"/api/devices/{await w.device_id()}/{action}")
    return build


async def _create_declaration(w: World, role: str) -> Call:
    return Call("/api/declarations", json=declaration_payload(post="ALTYNKOL"))


def _decision(action: str, body: dict[str, Any]) -> Build:
    async def build(w: World, role: str) -> Call:
        return Call(f"/api/declarations/{await w.releasable_id()}/{action}", json=body)
    return build


async def _upload_scan(w: World, role: str) -> Call:
    form = w.scan_form()
    if role != "idk_operator":
        form["data"]["post_code"] = "ALTYNKOL"  # an admin names the post
    return Call("/api/idk/scans", **form)


async def _verdict(w: World, role: str) -> Call:
    return Call(f"/api/idk/scans/{await w.scan_id()}/verdict", json={"verdict": "clear"})


def _inspection(action: str, body: Any = None, *, started: bool = False,
                counted: bool = False) -> Build:
    async def build(w: World, role: str) -> Call:
        insp = await w.inspection_id(started=started, counted=counted)
        return Call(f"/api/inspections/{insp}/{action}", json=body)
    return build


async def _register_recording(w: World, role: str) -> Call:
    insp, body = await w.recording_body()
    return Call(f"/api/inspections/{insp}/recordings", json=body)


async def _announce(w: World, role: str) -> Call:
    insp, cid, body = await w.announcement()
    return Call(f"/api/inspections/{insp}/recordings/{cid}/chain", json=body)


async def _tus_create(w: World, role: str) -> Call:
    meta = {"inspection_id": await w.inspection_id(started=True), "phase": "exterior",
            "client_id": new_client_id(),
            "filetype": "video/webm"}
    return Call("/api/uploads", extra={**TUS, "Upload-Length": "100",
                                       "Upload-Metadata": encode_metadata(meta)})


async def _tus_patch(w: World, role: str) -> Call:
    upload = await w.upload_id(length=10)
    return Call(f"/api/uploads/{upload}", content=b"0123456789", extra={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})


# --- push, board, auditors' views (issue 6) -----------------------------------------------------

WATCHERS = frozenset({"post_head", "auditor", "admin"})
_REVIEW_DAYS_AGO = [30]  # each review case samples a day of its own


def _subscription_json() -> dict[str, Any]:
    import base64

    jwk = p256_jwk()

    def raw(v: str) -> bytes:
        return base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    return {"endpoint": f"http://127.0.0.1:9/push/{new_client_id()}", "expirationTime": None,
            "keys": {"p256dh": b64(b"\x04" + raw(jwk["x"]) + raw(jwk["y"])), "auth": b64(bytes(16))}}


async def _push_subscribe(w: World, role: str) -> Call:
    return Call("/api/push/subscriptions", json=_subscription_json())


async def _push_unsubscribe(w: World, role: str) -> Call:
    if role == "integration":
        return Call("/api/push/subscriptions/0f8c1d2e-none")
    resp = await w.client.post("/api/push/subscriptions", json=_subscription_json(),
                               headers=w.headers(login_of(role)))
    assert resp.status_code == 201, resp.text
    return Call(f"/api/push/subscriptions/{resp.json()['id']}")


def _watch(path: str, **params: Any) -> Build:
    async def build(w: World, role: str) -> Call:
        return Call(path, params={"post_code": "ALTYNKOL", **params})
    return build


async def _review(w: World, role: str) -> Call:
    """A declaration released on a past day of its own, sampled at rate 1."""
    decl = await w.releasable_id()
    resp = await w.client.post(f"/api/declarations/{decl}/release", json={},
                               headers=w.headers(login_of("post_head")))
    assert resp.status_code == 200, resp.text
    _REVIEW_DAYS_AGO[0] += 1
    day = await w.db.fetchval(
        "UPDATE release_decisions SET decided_at = decided_at - make_interval(days => $2) "
        "WHERE declaration_id = $1 RETURNING (decided_at AT TIME ZONE 'UTC')::date",
        decl, _REVIEW_DAYS_AGO[0])
    await w.db.execute("UPDATE posts SET policy = jsonb_set(policy, '{audit_sample_rate}', '1.0') "
                       "WHERE code = 'ALTYNKOL'")
    resp = await w.client.get("/api/review-sample", headers=w.headers("auditor"),
                              params={"date": day.isoformat(), "post_code": "ALTYNKOL"})
    assert resp.status_code == 200, resp.text
    return Call(f"/api/review-sample/{decl}", json={"status": "reviewed"})


# --- IDK batches, links, conclusions (issue 7) ---------------------------------------------------

IDK_REASON = "Номер вагона считан сканером с ошибкой, сверено по натурному листу"


async def _idk_batch(w: World, role: str) -> Call:
    import json

    form = w.scan_form()
    row = {k: form["data"][k] for k in ("image_id", "scanner", "composition_number",
                                        "wagon_number", "scanned_at")}
    data = {"rows": json.dumps([{**row, "container_numbers": []}])}
    if role != "idk_operator":
        data["post_code"] = "ALTYNKOL"  # an admin names the post
    return Call("/api/idk/batches", data=data, files={"image_0": form["files"]["image"]})


async def _idk_link(w: World, role: str) -> Call:
    decl = await w.declaration("ALTYNKOL", "green")
    return Call(f"/api/idk/scans/{await w.scan_id()}/links",
                json={"declaration_id": decl["id"], "reason": IDK_REASON})


async def _idk_unlink(w: World, role: str) -> Call:
    decl, scan = await w.declaration("ALTYNKOL", "green"), await w.scan_id()
    resp = await w.client.post(f"/api/idk/scans/{scan}/links", headers=w.headers(
        login_of("idk_operator")), json={"declaration_id": decl["id"], "reason": IDK_REASON})
    assert resp.status_code == 200, resp.text
    return Call(f"/api/idk/scans/{scan}/links/{decl['id']}",
                params={"reason": "Связан ошибочно, другой состав"})


# --- administration: users, posts, policy, shifts (issue 10) ----------------------------------

ADMIN = frozenset({"admin"})
SHIFT_READERS = frozenset({"post_head", "auditor", "admin"})
_admin_seq = iter(range(1, 1_000_000))


async def _new_user(w: World, role: str = "inspector") -> dict[str, Any]:
    """A fresh account made by the admin: (user, one-time password)."""
    post = None if role in ("auditor", "integration", "admin") else "ALTYNKOL"
    resp = await w.client.post("/api/users", headers=w.headers("admin"), json={
        "login": f"sweep.{role}.{next(_admin_seq)}", "name": "Проверка", "role": role,
        "post_code": post})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def _create_user(w: World, role: str) -> Call:
    return Call("/api/users", json={"login": f"sweep.new.{next(_admin_seq)}", "name": "Новый",
                                    "role": "inspector", "post_code": "ALTYNKOL"})


async def _password_reset(w: World, role: str) -> Call:
    user = await _new_user(w)
    return Call(f"/api/users/{user['user']['id']}/password-reset")


async def _own_password(w: World, role: str) -> Call:
    # An account of the role's own, so the demo users keep their password for the other cases.
    made = await _new_user(w, role)
    token = await w.fresh_token(made["user"]["login"])
    return Call("/api/auth/password", headers={"Authorization": f"Bearer {token}"},
                json={"current_password": made["one_time_password"],
                      "new_password": "a new password of mine"})


WEBHOOK_IN = {"url": "https://keden.example.kz/hooks", "secret": "whsec-0123456789abcdef",
              "events": ["declaration.corridor_changed"]}


async def _webhook(w: World) -> str:
    hook_id: str = await w.db.fetchval(
        "INSERT INTO webhooks (url, secret, events) VALUES ($1, $2, $3) RETURNING id::text",
        WEBHOOK_IN["url"], WEBHOOK_IN["secret"], WEBHOOK_IN["events"])
    return hook_id


def _webhook_call(suffix: str) -> Build:
    async def build(w: World, role: str) -> Call:
        return Call(f"/api/integration/webhooks/{await _webhook(w)}{suffix}")
    return build


async def _webhook_replay(w: World, role: str) -> Call:
    hook_id = await _webhook(w)
    event_id = await w.db.fetchval(
        "INSERT INTO outbox_events (type, data) VALUES ('declaration.refused', '{}')"
        " RETURNING id::text")
    delivery_id = await w.db.fetchval(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, state, attempts)"
        " VALUES ($1, $2, 'dead', 6) RETURNING id::text", hook_id, event_id)
    return Call(f"/api/integration/webhooks/{hook_id}/deliveries/{delivery_id}/replay")


async def _create_post(w: World, role: str) -> Call:
    return Call("/api/posts", json={
        "code": f"SWEEP{next(_admin_seq)}", "name": "Пост", "kind": "road",
        "geofence": {"type": "Polygon", "coordinates": [[[80, 44], [80.01, 44], [80.01, 44.01],
                                                         [80, 44]]]}})


async def _put_policy(w: World, role: str) -> Call:
    resp = await w.client.get("/api/posts/ALTYNKOL/policy", headers=w.headers("admin"))
    body = dict(resp.json())
    del body["version"]
    return Call("/api/posts/ALTYNKOL/policy", json=body)


async def _put_shift(w: World, role: str) -> Call:
    resp = await w.client.get("/api/posts/ALTYNKOL/shift", headers=w.headers("admin"))
    on = [i["id"] for i in resp.json()["inspectors"] if i["on_shift"]]
    return Call("/api/posts/ALTYNKOL/shift", json={"inspector_ids": on})


SCANNER_IN = {"post_code": "ALTYNKOL", "pitch_x_mm": 5.0, "pitch_y_mm": 5.0,
              "air_level": 60000.0, "dark_level": 100.0}


async def _scanner(w: World, role: str) -> Call:
    resp = await w.client.put("/api/idk/scanners/SWEEP-SCANNER", headers=w.headers("admin"),
                              json=SCANNER_IN)
    assert resp.status_code == 200, resp.text
    return Call("/api/idk/scanners/SWEEP-SCANNER")


def _consist_body() -> dict[str, Any]:
    from tests.helpers import wagon
    return {"train_number": f"SW{new_client_id()[:8]}", "station": "ALTYNKOL",
            "expected_at": "2026-12-04T10:00:00Z",
            "wagons": [{"position": 1, "wagon_number": wagon("5890011")}]}


async def _submit_consist(w: World, role: str) -> Call:
    return Call("/api/rail/consists", json=_consist_body())


async def _consist(w: World, role: str) -> Call:
    resp = await w.client.post("/api/rail/consists", headers=w.headers("admin"),
                               json=_consist_body())
    assert resp.status_code == 201, resp.text
    return Call(f"/api/rail/consists/{resp.json()['id']}")


async def _portal_read(w: World, role: str) -> Call:
    body = {"scanner": "Nuctech MB1215DE", "reader_id": f"SWEEP-RFID-{role}",
            "read_at": "2026-11-22T10:15:04+06:00", "source": "rfid", "wagon_number": "58123456"}
    if role != "idk_operator":
        body["post_code"] = "ALTYNKOL"  # an admin names the post
    return Call("/api/idk/portal-reads", json=body)


async def _scan_numbers(w: World, role: str) -> Call:
    return Call("/api/idk/portal-reads", params={"scan_id": w.scan["ALTYNKOL"]})


# Every route of the app, and who may call it. Keys are Litestar's paths, as the app lists them.
MATRIX: dict[tuple[str, str], Rule] = {
    ("POST", "/api/auth/login"): rule(ALL, _login, public=True),
    ("POST", "/api/auth/logout"): rule(ALL, _logout, ok=(204,),
                                       note="ending one's own session is not a write"),
    ("POST", "/api/users/{user_id:str}/revoke-sessions"): rule(
        {"admin"}, fixed("/api/users/{user}/revoke-sessions")),
    ("GET", "/api/posts"): rule(HUMANS, fixed("/api/posts")),
    ("GET", "/api/posts/{code:str}/policy"): rule(HUMANS, fixed("/api/posts/ALTYNKOL/policy")),
    ("POST", "/api/devices"): rule({"inspector"}, _register_device, ok=(201,)),
    ("GET", "/api/devices"): rule(POST_READERS, fixed("/api/devices")),
    ("GET", "/api/devices/{device_id:str}"): rule(POST_READERS, fixed("/api/devices/{device}")),
    ("POST", "/api/devices/{device_id:str}/approve"): rule(
        {"post_head", "admin"}, _device_action("approve")),
    ("POST", "/api/devices/{device_id:str}/revoke"): rule(
        {"post_head", "admin"}, _device_action("revoke")),
    ("POST", "/api/declarations"): rule({"integration", "admin"}, _create_declaration, ok=(201,)),
    ("GET", "/api/declarations"): rule(ALL, fixed("/api/declarations")),
    ("GET", "/api/declarations/{declaration_id:str}"): rule(
        ALL, fixed("/api/declarations/{decl}")),
    ("GET", "/api/declarations/{declaration_id:str}/gate"): rule(
        ALL, fixed("/api/declarations/{decl}/gate")),
    ("POST", "/api/declarations/{declaration_id:str}/release"): rule(
        {"post_head"}, _decision("release", {"comment": "Выпуск"})),
    ("POST", "/api/declarations/{declaration_id:str}/refuse"): rule(
        {"post_head"}, _decision("refuse", REASON)),
    ("POST", "/api/declarations/{declaration_id:str}/order-inspection"): rule(
        {"post_head"}, _decision("order-inspection", REASON)),
    ("POST", "/api/idk/scans"): rule({"idk_operator", "admin"}, _upload_scan, ok=(201,)),
    ("GET", "/api/idk/scans"): rule(IDK_READERS, fixed("/api/idk/scans")),
    ("GET", "/api/idk/scans/{scan_id:str}"): rule(IDK_READERS, fixed("/api/idk/scans/{scan}")),
    ("GET", "/api/idk/scans/{scan_id:str}/image"): rule(
        IDK_READERS, fixed("/api/idk/scans/{scan}/image")),
    ("GET", "/api/idk/scans/{scan_id:str}/display"): rule(
        IDK_READERS, fixed("/api/idk/scans/{scan}/display")),
    ("POST", "/api/idk/scans/{scan_id:str}/verdict"): rule({"idk_operator"}, _verdict),
    ("GET", "/api/inspections"): rule(POST_READERS, fixed("/api/inspections")),
    ("GET", "/api/inspections/{inspection_id:str}"): rule(
        POST_READERS, fixed("/api/inspections/{insp}")),
    ("POST", "/api/inspections/{inspection_id:str}/start"): rule(
        {"inspector"}, _inspection("start")),
    ("POST", "/api/inspections/{inspection_id:str}/counts"): rule(
        {"inspector"}, _inspection("counts", {"places_counted": 20}, started=True)),
    ("POST", "/api/inspections/{inspection_id:str}/finish"): rule(
        {"inspector"}, _inspection("finish", counted=True)),
    ("POST", "/api/inspections/{inspection_id:str}/reassign"): rule(
        {"post_head"}, _inspection("reassign", REASON)),
    ("POST", "/api/inspections/{inspection_id:str}/recordings"): rule(
        RECORDERS, _register_recording, ok=(201,)),
    ("POST", "/api/inspections/{inspection_id:str}/recordings/{client_id:str}/chain"): rule(
        RECORDERS, _announce, ok=(201,)),
    ("GET", "/api/recordings/{recording_id:str}"): rule(POST_READERS, fixed("/api/recordings/{rec}")),
    ("POST", "/api/recordings/{recording_id:str}/revalidate"): rule(
        {"post_head", "admin"}, fixed("/api/recordings/{rec}/revalidate", json=REASON), ok=(409,),
        note="no worker ran in this world: a permitted caller gets past the guard to "
             "'validation_in_progress' (the recording awaits its first report)"),
    ("GET", "/api/recordings/{recording_id:str}/video"): rule(
        POST_READERS, fixed("/api/recordings/{rec}/video")),
    ("GET", "/api/recordings/{recording_id:str}/stream/{name:str}"): rule(
        POST_READERS, fixed("/api/recordings/{rec}/stream/poster.jpg"), ok=(404,),
        note="no worker ran in this world: a permitted reader gets past the guard to 'no rendition'"),
    ("POST", "/api/recordings/{recording_id:str}/checks/{check:str}/attestation"): rule(
        {"post_head"}, fixed("/api/recordings/{rec}/checks/completeness/attestation",
                             json={"decision": "confirmed"}), ok=(409,),
        note="no report in this world: the head gets past the guard to 'nothing_to_confirm'"),
    ("GET", "/api/recordings/{recording_id:str}/checks/{check:str}/frames"): rule(
        {"post_head", "auditor", "admin"}, fixed("/api/recordings/{rec}/checks/completeness/frames"),
        ok=(404,), note="no report in this world: past the guard to 'no such check'"),
    ("GET", "/api/recordings/{recording_id:str}/checks/{check:str}/frames/{index:int}"): rule(
        {"post_head", "auditor", "admin"}, fixed("/api/recordings/{rec}/checks/completeness/frames/0"),
        ok=(404,), note="no report in this world: past the guard to 'no frame'"),
    ("POST", "/api/uploads"): rule(RECORDERS, _tus_create, ok=(201,)),
    ("HEAD", "/api/uploads/{upload_id:str}"): rule(
        RECORDERS, fixed("/api/uploads/{upload}", extra=TUS)),
    ("PATCH", "/api/uploads/{upload_id:str}"): rule(RECORDERS, _tus_patch, ok=(204,)),
    ("DELETE", "/api/uploads/{upload_id:str}"): rule(
        RECORDERS, fixed("/api/uploads/{upload}", extra=TUS), ok=(405,),
        note="tus termination is refused to everyone: evidence is never deleted"),
    ("GET", "/api/alerts"): rule(HUMANS, fixed("/api/alerts")),
    ("POST", "/api/alerts/{alert_id:str}/read"): rule(
        HUMANS, fixed("/api/alerts/{alert}/read"),
        note="marking one's own inbox read is not a write to evidence"),
    ("GET", "/api/audit"): rule(AUDIT, fixed("/api/audit")),
    ("GET", "/api/audit/verify"): rule(AUDIT, fixed("/api/audit/verify")),
    ("GET", "/api/push/vapid-public-key"): rule(HUMANS, fixed("/api/push/vapid-public-key")),
    ("POST", "/api/push/subscriptions"): rule(HUMANS, _push_subscribe, ok=(201,)),
    ("GET", "/api/push/subscriptions"): rule(HUMANS, fixed("/api/push/subscriptions")),
    ("DELETE", "/api/push/subscriptions/{subscription_id:str}"): rule(
        HUMANS, _push_unsubscribe, ok=(204,)),
    ("POST", "/api/push/test"): rule(HUMANS, fixed("/api/push/test"), ok=(202,)),
    ("GET", "/api/board"): rule(WATCHERS, _watch("/api/board")),
    ("GET", "/api/board/stream"): rule(WATCHERS, _watch("/api/board/stream", max_s=0)),
    ("GET", "/api/declarations/awaiting"): rule(WATCHERS, _watch("/api/declarations/awaiting")),
    ("GET", "/api/search/declarations"): rule(WATCHERS, fixed("/api/search/declarations")),
    ("GET", "/api/review-sample"): rule(AUDIT, fixed("/api/review-sample")),
    ("POST", "/api/review-sample/{declaration_id:str}"): rule({"auditor"}, _review),
    ("GET", "/api/declarations/{declaration_id:str}/evidence-package"): rule(
        WATCHERS, fixed("/api/declarations/{decl}/evidence-package")),
    ("GET", "/api/declarations/export"): rule(WATCHERS | {"integration"},
                                              fixed("/api/declarations/export")),
    ("POST", "/api/idk/batches"): rule({"idk_operator", "admin"}, _idk_batch),
    ("POST", "/api/idk/scans/{scan_id:str}/links"): rule({"idk_operator"}, _idk_link),
    ("DELETE", "/api/idk/scans/{scan_id:str}/links/{declaration_id:str}"): rule(
        {"idk_operator"}, _idk_unlink),
    ("GET", "/api/idk/scans/{scan_id:str}/conclusion.pdf"): rule(
        IDK_READERS, fixed("/api/idk/scans/{scan}/conclusion.pdf")),
    ("GET", "/api/idk/scans/{scan_id:str}/conclusion.html"): rule(
        IDK_READERS, fixed("/api/idk/scans/{scan}/conclusion.html")),
    ("GET", "/api/idk/scans/{scan_id:str}/assessments"): rule(
        IDK_READERS, fixed("/api/idk/scans/{scan}/assessments")),
    ("GET", "/api/idk/scanners/{scanner_id:str}"): rule(
        {"post_head", "auditor", "admin"}, _scanner),
    ("PUT", "/api/idk/scanners/{scanner_id:str}"): rule(
        {"admin"}, fixed("/api/idk/scanners/SWEEP-SCANNER", json=SCANNER_IN)),
    ("POST", "/api/idk/portal-reads"): rule({"idk_operator", "admin"}, _portal_read, ok=(201,)),
    ("GET", "/api/idk/portal-reads"): rule(
        IDK_READERS, _scan_numbers),
    ("POST", "/api/rail/consists"): rule({"integration", "admin"}, _submit_consist, ok=(201,)),
    ("GET", "/api/rail/consists/{consist_id:str}"): rule(
        {"idk_operator", "post_head", "auditor", "integration", "admin"}, _consist),
    ("GET", "/api/idk/scans/export"): rule(
        {"idk_operator", "post_head", "auditor", "admin"}, fixed("/api/idk/scans/export")),
    ("GET", "/api/changes"): rule({"integration", "auditor", "admin"}, fixed("/api/changes")),
    ("POST", "/api/integration/webhooks"): rule(
        ADMIN, fixed("/api/integration/webhooks", json=WEBHOOK_IN), ok=(201, 422),
        note="the sweep's settings allowlist no webhook host: the admin passes the guard to 422"),
    ("GET", "/api/integration/webhooks"): rule(AUDIT, fixed("/api/integration/webhooks")),
    ("DELETE", "/api/integration/webhooks/{webhook_id:str}"): rule(
        ADMIN, _webhook_call(""), ok=(204,)),
    ("GET", "/api/integration/webhooks/{webhook_id:str}/deliveries"): rule(
        AUDIT, _webhook_call("/deliveries")),
    ("POST", "/api/integration/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/replay"):
        rule(ADMIN, _webhook_replay),
    ("GET", "/api/users"): rule(AUDIT, fixed("/api/users"),
                                note="auditors read every account; only admins change them"),
    ("POST", "/api/users"): rule(ADMIN, _create_user, ok=(201,)),
    ("GET", "/api/users/{user_id:str}"): rule(AUDIT, fixed("/api/users/{user}")),
    ("PATCH", "/api/users/{user_id:str}"): rule(
        ADMIN, fixed("/api/users/{user}", json={"name": "Бахыт Ермеков"})),
    ("POST", "/api/users/{user_id:str}/password-reset"): rule(ADMIN, _password_reset),
    ("POST", "/api/users/{user_id:str}/unlock"): rule(ADMIN, fixed("/api/users/{user}/unlock")),
    ("POST", "/api/auth/password"): rule(ALL, _own_password,
                                         note="one's own password: every account, itself"),
    ("POST", "/api/posts"): rule(ADMIN, _create_post, ok=(201,)),
    ("PATCH", "/api/posts/{code:str}"): rule(
        ADMIN, fixed("/api/posts/ALTYNKOL", json={"has_idk": True})),
    ("PUT", "/api/posts/{code:str}/policy"): rule(ADMIN, _put_policy),
    ("GET", "/api/posts/{code:str}/policy/versions"): rule(
        HUMANS, fixed("/api/posts/ALTYNKOL/policy/versions")),
    ("GET", "/api/posts/{code:str}/policy/versions/{version:int}"): rule(
        HUMANS, fixed("/api/posts/ALTYNKOL/policy/versions/1")),
    ("GET", "/api/posts/{code:str}/shift"): rule(SHIFT_READERS, fixed("/api/posts/ALTYNKOL/shift")),
    ("PUT", "/api/posts/{code:str}/shift"): rule({"post_head", "admin"}, _put_shift),
}

# What the declaration system's machine account may do (DESIGN.md: creates and reads
# declarations, reads release decisions), besides ending its session.
INTEGRATION_MAY = {
    ("POST", "/api/rail/consists"),  # the railway's pre-arrival consists
    ("GET", "/api/rail/consists/{consist_id:str}"),
    ("GET", "/api/changes"),  # the outbox's change feed
    ("GET", "/api/declarations/export"),  # decisions, with the releasing official
    ("POST", "/api/declarations"),
    ("GET", "/api/declarations"),
    ("GET", "/api/declarations/{declaration_id:str}"),
    ("GET", "/api/declarations/{declaration_id:str}/gate"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),  # its own password
}
# Auditors write nothing; these touch only the auditor's own session and inbox.
AUDITOR_OWN_WRITES = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/alerts/{alert_id:str}/read"),
    # one's own push subscriptions (devices that receive one's alerts)
    ("POST", "/api/push/subscriptions"),
    ("DELETE", "/api/push/subscriptions/{subscription_id:str}"),
    ("POST", "/api/push/test"),
    # an auditor's verdict on a sampled declaration is the auditor's own record, not evidence
    ("POST", "/api/review-sample/{declaration_id:str}"),
}
# HEAD exists only in the tus protocol, where it asks an uploader for its own upload's offset.
READ_METHODS = {"GET"}


def app_endpoints(app: Litestar) -> set[tuple[str, str]]:
    """(method, path) of every route, except the OpenAPI schema and the static PWA."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if route.path == "/schema" or route.path.startswith("/schema/"):
            continue
        if route.path in ("/healthz", "/readyz", "/metrics"):
            continue  # operations, not the role-guarded API: tests/ops covers who may call them
        if not isinstance(route, HTTPRoute):
            found.add((type(route).__name__, route.path))  # websockets, mounted ASGI apps
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method == "OPTIONS" or handler.name == "pwa" or str(handler.name).startswith("pwa/"):
                continue
            found.add((method, route.path))
    return found


def test_the_table_covers_every_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from backend.app import create_app

    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_TOKEN_PEPPER": "x"})
    endpoints = app_endpoints(create_app(settings, dsn="postgresql://unused"))
    assert sorted(endpoints - set(MATRIX)) == [], "routes without a row in MATRIX"
    assert sorted(set(MATRIX) - endpoints) == [], "rows in MATRIX for routes the app lacks"
    assert len(endpoints) >= 30


def test_the_table_keeps_the_role_rules() -> None:
    for (method, path), r in MATRIX.items():
        assert r.allowed <= ALL
        if method in READ_METHODS:
            assert "auditor" in r.allowed, f"auditors read everything: {method} {path}"
        elif (method, path) not in AUDITOR_OWN_WRITES:
            assert "auditor" not in r.allowed, f"auditors write nothing: {method} {path}"
        assert r.public == (path == "/api/auth/login")
        if not r.public:
            assert ("integration" in r.allowed) == ((method, path) in INTEGRATION_MAY), path



def test_every_route_is_guarded_by_the_one_permission_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each route's guards (every layer) are `may(action)` guards of backend/auth/permissions.py,
    the roles they let through are exactly the row's above, and no action in the table is
    left unused: who may do what is written once."""
    from backend.app import create_app

    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_TOKEN_PEPPER": "x"})
    app = create_app(settings, dsn="postgresql://unused")
    used: set[str] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if (method, route.path) not in MATRIX:
                continue
            guards = [g for layer in handler.ownership_layers for g in (layer.guards or [])]
            actions = [getattr(g, "action", None) for g in guards]
            assert None not in actions, f"{method} {route.path}: a guard not made by may()"
            let_through = ALL
            for action in actions:
                let_through &= permissions.allowed(action)
            used.update(a for a in actions if a is not None)
            assert let_through == MATRIX[(method, route.path)].allowed, (method, route.path)
    assert sorted(set(permissions.ACTIONS) - used) == [], "actions no route is guarded by"


def test_the_post_scope_rule() -> None:
    # post-bound roles see their own post only; cross-post roles see every post
    for role in ALL:
        assert permissions.sees_post(role, "ALTYNKOL", "ALTYNKOL")
        assert permissions.sees_post(role, "ALTYNKOL", "KHORGOS") == (
            role in {"auditor", "integration", "admin"})
        assert permissions.sees_post(role, None, "KHORGOS") == (
            role in {"auditor", "integration", "admin"})
        actor = Actor(id="u", login="u", name="u", role=role, post_code="ALTYNKOL", session_id="s")
        assert permissions.post_scope(actor) == (
            None if role in {"auditor", "integration", "admin"} else "ALTYNKOL")
    with pytest.raises(ValueError, match="unknown action"):
        permissions.may("declaration.delete")

async def send(w: World, method: str, call: Call, login: str) -> Response:
    headers = call.headers if call.headers is not None else w.headers(login)
    return await w.client.request(
        method, call.path, json=call.json, data=call.data, files=call.files, params=call.params,
        content=call.content, headers={**headers, **call.extra},
    )


def assert_problem(resp: Response, status: int, *codes: str) -> None:
    assert resp.status_code == status, resp.text
    if resp.request.method == "HEAD":
        return  # no body to carry the problem
    assert resp.headers["content-type"].startswith(PROBLEM), resp.headers
    assert resp.json()["code"] in codes, resp.text


CASES = [(ep, role) for ep in MATRIX for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES,
                         ids=[f"{m} {p} as {r}" for (m, p), r in CASES])
async def test_role_may_or_may_not(world: World, endpoint: tuple[str, str], role: str) -> None:
    method, _ = endpoint
    r = MATRIX[endpoint]
    call = await r.build(world, role)
    resp = await send(world, method, call, login_of(role))
    if role in r.allowed:
        assert resp.status_code in r.ok, f"{role} may call this: {resp.status_code} {resp.text}"
    else:
        assert_problem(resp, 403, "forbidden")


NO_AUTH = [ep for ep, r in MATRIX.items() if not r.public]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0f8c1d2e-unknown", re.sub(r"\{[^}]+:int\}", "1", path))


@pytest.mark.parametrize("endpoint", NO_AUTH, ids=[f"{m} {p}" for m, p in NO_AUTH])
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YWRtaW46ZGVtbw=="],
                         ids=["no token", "unknown token", "basic"])
async def test_no_token_is_401(world: World, endpoint: tuple[str, str],
                               authorization: str | None) -> None:
    method, path = endpoint
    headers = {} if authorization is None else {"Authorization": authorization}
    resp = await world.client.request(method, _concrete(path), headers=headers)
    assert_problem(resp, 401, "unauthenticated")
    assert resp.headers["www-authenticate"].startswith("Bearer")


# --- post scoping: staff of one post get 404 for the other post's objects ----------------------

@dataclass(frozen=True)
class CrossPost:
    role: str
    method: str
    path: str  # {decl}, {insp}, {scan}, {device}, {post} name the OTHER post's objects
    body: Any = None
    want: int = 404
    listing: str = ""  # for list endpoints: the key that must never show the other post
    extra: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ("not_found",)
    content: bytes | None = None


HEX = "0" * 64
RECORDING_IN = {"client_id": "crosspost-0001", "phase": "unloading", "upload_id": "u1",
                "manifest": {}, "signature": "c2ln"}
ANNOUNCEMENT_IN = {"phase": "unloading", "device_id": "d1", "chunks": [{"i": 0, "size": 1,
                   "sha256": HEX}], "chain_head": HEX, "signature": "c2ln"}
UPLOAD_GONE = ("upload_not_found",)
PATCH_HEADERS = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}


CROSS = [
    CrossPost("inspector", "GET", "/api/declarations/{decl}"),
    CrossPost("idk_operator", "GET", "/api/declarations/{decl}"),
    CrossPost("post_head", "GET", "/api/declarations/{decl}"),
    CrossPost("inspector", "GET", "/api/declarations/{decl}/gate"),
    CrossPost("idk_operator", "GET", "/api/declarations/{decl}/gate"),
    CrossPost("post_head", "GET", "/api/declarations/{decl}/gate"),
    CrossPost("inspector", "GET", "/api/inspections/{insp}"),
    CrossPost("post_head", "GET", "/api/inspections/{insp}"),
    CrossPost("inspector", "GET", "/api/idk/scans/{scan}"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}"),
    CrossPost("post_head", "GET", "/api/idk/scans/{scan}"),
    CrossPost("inspector", "GET", "/api/idk/scans/{scan}/image"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}/image"),
    CrossPost("post_head", "GET", "/api/idk/scans/{scan}/image"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}/display"),
    CrossPost("inspector", "GET", "/api/devices/{device}"),
    CrossPost("post_head", "GET", "/api/devices/{device}"),
    CrossPost("inspector", "GET", "/api/posts/{post}/policy"),
    CrossPost("idk_operator", "GET", "/api/posts/{post}/policy"),
    CrossPost("post_head", "GET", "/api/posts/{post}/policy"),
    CrossPost("inspector", "GET", "/api/posts/{post}/policy/versions"),
    CrossPost("post_head", "GET", "/api/posts/{post}/policy/versions/1"),
    CrossPost("post_head", "GET", "/api/posts/{post}/shift"),
    CrossPost("post_head", "PUT", "/api/posts/{post}/shift", {"inspector_ids": []}),
    # writes
    CrossPost("post_head", "POST", "/api/declarations/{decl}/release", {}),
    CrossPost("post_head", "POST", "/api/declarations/{decl}/refuse", REASON),
    CrossPost("post_head", "POST", "/api/declarations/{decl}/order-inspection", REASON),
    CrossPost("post_head", "POST", "/api/inspections/{insp}/reassign", REASON),
    CrossPost("post_head", "POST", "/api/devices/{device}/approve"),
    CrossPost("post_head", "POST", "/api/devices/{device}/revoke"),
    CrossPost("idk_operator", "POST", "/api/idk/scans/{scan}/verdict", {"verdict": "clear"}),
    CrossPost("inspector", "POST", "/api/inspections/{insp}/start"),
    CrossPost("inspector", "POST", "/api/inspections/{insp}/counts", {"places_counted": 1}),
    CrossPost("inspector", "POST", "/api/inspections/{insp}/finish"),
    CrossPost("inspector", "GET", "/api/recordings/{rec}"),
    CrossPost("post_head", "GET", "/api/recordings/{rec}"),
    CrossPost("inspector", "GET", "/api/recordings/{rec}/video"),
    CrossPost("post_head", "GET", "/api/recordings/{rec}/video"),
    CrossPost("post_head", "GET", "/api/recordings/{rec}/stream/poster.jpg"),
    CrossPost("inspector", "POST", "/api/inspections/{insp}/recordings", RECORDING_IN),
    CrossPost("post_head", "POST", "/api/inspections/{insp}/recordings", RECORDING_IN),
    CrossPost("inspector", "POST", "/api/inspections/{insp}/recordings/crosspost-0002/chain",
              ANNOUNCEMENT_IN),
    CrossPost("post_head", "POST", "/api/inspections/{insp}/recordings/crosspost-0002/chain",
              ANNOUNCEMENT_IN),
    CrossPost("inspector", "POST", "/api/uploads", extra={**TUS, "Upload-Length": "10"},
              want=404, codes=("not_found",)),
    CrossPost("inspector", "HEAD", "/api/uploads/{upload}", extra=TUS, codes=UPLOAD_GONE),
    CrossPost("post_head", "HEAD", "/api/uploads/{upload}", extra=TUS, codes=UPLOAD_GONE),
    CrossPost("inspector", "PATCH", "/api/uploads/{upload}", extra=PATCH_HEADERS,
              content=b"x", codes=UPLOAD_GONE),
    CrossPost("post_head", "PATCH", "/api/uploads/{upload}", extra=PATCH_HEADERS,
              content=b"x", codes=UPLOAD_GONE),
    # lists: asking for the other post gives nothing of it
    CrossPost("inspector", "GET", "/api/declarations?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("idk_operator", "GET", "/api/declarations?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("post_head", "GET", "/api/declarations?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("idk_operator", "GET", "/api/idk/scans?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("post_head", "GET", "/api/idk/scans?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("post_head", "GET", "/api/inspections?post_code={post}", want=200,
              listing="post_code"),
    CrossPost("post_head", "GET", "/api/devices", want=200, listing="post_code"),
    # the board, decisions awaiting, evidence and exports of another post
    CrossPost("post_head", "GET", "/api/board?post_code={post}"),
    CrossPost("post_head", "GET", "/api/board/stream?post_code={post}&max_s=0"),
    CrossPost("post_head", "GET", "/api/declarations/awaiting?post_code={post}"),
    CrossPost("post_head", "GET", "/api/declarations/{decl}/evidence-package"),
    CrossPost("post_head", "GET", "/api/declarations/export?post_code={post}"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/export?post_code={post}"),
    CrossPost("post_head", "GET", "/api/search/declarations", want=200, listing="post_code"),
    CrossPost("post_head", "GET", "/api/search/declarations?post_code={post}", want=200,
              listing="post_code"),
    # IDK: another post's scans are not there to link, unlink or read conclusions of
    CrossPost("idk_operator", "POST", "/api/idk/scans/{scan}/links",
              {"declaration_id": "0f8c1d2e-none", "reason": "Проверка чужого поста"}),
    CrossPost("idk_operator", "DELETE", "/api/idk/scans/{scan}/links/{decl}",
              {"reason": "Проверка чужого поста"}),
    CrossPost("inspector", "GET", "/api/idk/scans/{scan}/conclusion.pdf"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}/conclusion.pdf"),
    CrossPost("post_head", "GET", "/api/idk/scans/{scan}/conclusion.pdf"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}/conclusion.html"),
    CrossPost("post_head", "GET", "/api/idk/scans/{scan}/conclusion.html"),
    CrossPost("idk_operator", "GET", "/api/idk/scans/{scan}/assessments"),
]
CROSS_CASES = [(c, home) for c in CROSS for home in POSTS]


@pytest.mark.parametrize(("case", "home"), CROSS_CASES,
                         ids=[f"{c.role}@{h} {c.method} {c.path}" for c, h in CROSS_CASES])
async def test_other_posts_objects_are_not_found(world: World, case: CrossPost, home: str) -> None:
    other = OTHER[home]
    path = case.path.format(decl=world.decl[other], insp=world.inspection[other],
                            scan=world.scan[other], device=world.device[other], post=other,
                            rec=world.recording[other], upload=world.upload[other])
    extra = dict(case.extra)
    if path == "/api/uploads":
        extra["Upload-Metadata"] = encode_metadata({
            "inspection_id": world.inspection[other], "phase": "exterior",
            "client_id": new_client_id(), "filetype": "video/webm"})
    before = await _state(world, other)
    resp = await world.client.request(
        case.method, path, json=case.body, content=case.content,
        headers={**world.headers(login_of(case.role, home)), **extra},
    )
    if case.want == 404:
        assert_problem(resp, 404, *case.codes)
    else:
        assert resp.status_code == case.want, resp.text
        rows = resp.json()
        assert isinstance(rows, list)
        assert all(row[case.listing] == home for row in rows), rows
    assert await _state(world, other) == before, "a refused call changed the other post's objects"


async def _state(w: World, post: str) -> tuple[Any, ...]:
    decl = await w.db.fetchrow("SELECT status, corridor, inspection_reasons FROM declarations "
                               "WHERE id = $1", w.decl[post])
    insp = await w.db.fetchrow("SELECT inspector_id, status, places_counted FROM inspections "
                               "WHERE id = $1", w.inspection[post])
    scan = await w.db.fetchval("SELECT verdict FROM idk_scans WHERE id = $1", w.scan[post])
    device = await w.db.fetchval("SELECT status FROM devices WHERE id = $1", w.device[post])
    evidence = await w.db.fetchrow(
        "SELECT (SELECT count(*) FROM recordings WHERE inspection_id = $1) AS recordings,"
        " (SELECT count(*) FROM uploads WHERE inspection_id = $1) AS uploads,"
        " (SELECT count(*) FROM chain_announcements WHERE inspection_id = $1) AS announced",
        w.inspection[post])
    return tuple(decl.values()), tuple(insp.values()), scan, device, tuple(evidence.values())
