"""Checks of what the server holds against what the tablet recorded (shared by the browser tests)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from backend.recordings.manifest import chain_head, verify_signature
from tests.browser.conftest import Scene

HEX64 = re.compile(r"^[0-9a-f]{64}$")
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
MANIFEST_FIELDS = {"device_id", "mime", "size", "sha256", "recorded_from", "recorded_to", "chunks",
                   "chain_head", "track", "markers"}


async def server_recording(scene: Scene, db: Any, client_id: str) -> dict[str, Any]:
    rec_id = await db.fetchval("SELECT id FROM recordings WHERE client_id = $1", client_id)
    assert rec_id, f"the server holds no recording {client_id}"
    resp = await scene.call(f"head.{scene.post.lower()}", "GET", f"/api/recordings/{rec_id}")
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def check_evidence(scene: Scene, db: Any, take: dict[str, Any], device_id: str) -> dict[str, Any]:
    """The server's copy matches the take: bytes, chain, signature, and every manifest field."""
    rec = await server_recording(scene, db, take["client_id"])
    m = rec["manifest"]
    assert set(m) == MANIFEST_FIELDS
    assert rec["phase"] == take["phase"] and rec["inspection_id"] == scene.inspection_id
    assert m["device_id"] == device_id
    assert m["mime"].startswith("video/mp4")  # Chromium records H.264 when asked
    assert HEX64.match(m["sha256"]) and HEX64.match(m["chain_head"])
    assert m["sha256"] == take["sha256"] == rec["sha256"]
    assert m["size"] == take["size"] == rec["size"]
    start, end = (datetime.fromisoformat(m[k]) for k in ("recorded_from", "recorded_to"))
    assert OFFSET.search(m["recorded_from"]) and start.tzinfo is not None
    assert 0 < (end - start).total_seconds() < 120
    duration = (end - start).total_seconds()

    chunks = m["chunks"]
    assert [c["i"] for c in chunks] == list(range(len(chunks))) and len(chunks) >= 2
    assert sum(c["size"] for c in chunks) == m["size"]
    assert chain_head([c["sha256"] for c in chunks]) == m["chain_head"]

    # The bytes the server serves are the bytes the tablet hashed, chunk by chunk.
    video = await scene.call(f"head.{scene.post.lower()}", "GET", f"/api/recordings/{rec['id']}/video")
    assert video.status_code == 200
    data = video.content
    assert hashlib.sha256(data).hexdigest() == m["sha256"]
    pos = 0
    for c in chunks:
        assert hashlib.sha256(data[pos:pos + c["size"]]).hexdigest() == c["sha256"]
        pos += c["size"]

    assert m["track"], "no GPS fix in the track"
    for p in m["track"]:
        assert {"t", "lat", "lon", "acc"} <= set(p) <= {"t", "lat", "lon", "acc", "fix_t"}
        assert abs(p["lat"] - 46.165) < 1e-6 and abs(p["lon"] - 81.629) < 1e-6
        assert 0 <= p["t"] <= duration + 2
    for mk in m["markers"]:
        assert set(mk) == {"t", "kind"} and 0 <= mk["t"] <= duration + 2

    jwk = await db.fetchval("SELECT public_key_jwk FROM devices WHERE id = $1", device_id)
    assert verify_signature(jwk, m, rec["signature"]), "the device signature does not verify"
    integrity = rec["integrity"]
    assert integrity["hash_ok"] and integrity["chain_ok"] and integrity["signature_ok"]
    assert integrity["announced_chain_ok"] is True  # the chain was announced before the bytes
    return rec
