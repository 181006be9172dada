"""The real server process: killed mid-PATCH and resumed; a 2 GiB upload in bounded memory."""

from __future__ import annotations

import hashlib
import threading
import time

import httpx

from backend.recordings.tus import encode_metadata
from tests.recordings.kit import TUS, manifest_for, new_client_id, signed_registration
from tests.recordings.server import ServerProcess

MIB = 1 << 20


def _block(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest() * (MIB // 32)


def _create(server: ServerProcess, scene, length: int | None) -> str:  # type: ignore[no-untyped-def]
    h = {**scene.inspector, **TUS, "Upload-Metadata": encode_metadata({
        "inspection_id": scene.inspection_id, "phase": "unloading", "client_id": scene.cid,
        "filetype": "video/webm"})}
    h.update({"Upload-Length": str(length)} if length else {"Upload-Defer-Length": "1"})
    resp = httpx.post(server.url + "/api/uploads/", headers=h)
    assert resp.status_code == 201, resp.text
    return resp.headers["location"].rsplit("/", 1)[-1]


def _head(server: ServerProcess, scene, upload_id: str) -> int:  # type: ignore[no-untyped-def]
    resp = httpx.head(f"{server.url}/api/uploads/{upload_id}", headers={**scene.inspector, **TUS})
    assert resp.status_code == 200
    return int(resp.headers["upload-offset"])


async def test_server_killed_mid_patch_then_resumed(scene, db_url, tmp_path) -> None:
    total_mib = 24
    data = b"".join(_block(i) for i in range(total_mib))
    scene.cid = new_client_id()
    server = ServerProcess(db_url, tmp_path).start()
    try:
        upload_id = _create(server, scene, len(data))
        sent = threading.Event()

        def slow_body():  # type: ignore[no-untyped-def]
            for i in range(total_mib):
                if i == 14:
                    sent.set()
                    time.sleep(30)  # the server dies while we wait
                yield data[i * MIB:(i + 1) * MIB]

        def patch() -> None:
            try:
                httpx.patch(f"{server.url}/api/uploads/{upload_id}", content=slow_body(), timeout=60,
                            headers={**scene.inspector, **TUS, "Upload-Offset": "0",
                                     "Content-Type": "application/offset+octet-stream"})
            except httpx.TransportError:
                pass

        t = threading.Thread(target=patch, daemon=True)
        t.start()
        assert sent.wait(60)
        time.sleep(1.5)  # let the server write what it received
        server.kill()
    finally:
        server.stop()
    server = ServerProcess(db_url, tmp_path).start()
    try:
        offset = _head(server, scene, upload_id)
        assert 0 < offset <= 14 * MIB  # what was durable survived; nothing beyond was claimed
        resp = httpx.patch(f"{server.url}/api/uploads/{upload_id}", content=data[offset:], timeout=60,
                           headers={**scene.inspector, **TUS, "Upload-Offset": str(offset),
                                    "Content-Type": "application/offset+octet-stream"})
        assert resp.status_code == 204, resp.text
        assert int(resp.headers["upload-offset"]) == len(data)
        chunks = [data[i * 2 * MIB:(i + 1) * 2 * MIB] for i in range(total_mib // 2)]
        body = signed_registration(scene.tablet, scene.cid, "unloading", upload_id,
                                   manifest_for(scene.tablet.device_id, chunks))
        reg = httpx.post(f"{server.url}/api/inspections/{scene.inspection_id}/recordings", json=body,
                         headers=scene.inspector, timeout=60)
        assert reg.status_code == 201, reg.text
        assert reg.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert reg.json()["integrity"]["chain_ok"] is True
    finally:
        server.stop()


async def test_two_gib_upload_in_bounded_memory(scene, db_url, tmp_path) -> None:
    size = 2 << 30
    scene.cid = new_client_id()
    server = ServerProcess(db_url, tmp_path).start()
    try:
        upload_id = _create(server, scene, size)
        # Warm the request path so the baseline includes the interpreter's steady state.
        _head(server, scene, upload_id)
        baseline = server.rss_kib()
        digest = hashlib.sha256()

        def body():  # type: ignore[no-untyped-def]
            for i in range(size // MIB):
                block = _block(i % 64)
                digest.update(block)
                yield block

        resp = httpx.patch(f"{server.url}/api/uploads/{upload_id}", content=body(), timeout=600,
                           headers={**scene.inspector, **TUS, "Upload-Offset": "0",
                                    "Content-Type": "application/offset+octet-stream"})
        assert resp.status_code == 204, resp.text
        assert int(resp.headers["upload-offset"]) == size
        growth_mib = (server.peak_rss_kib() - baseline) / 1024
        assert growth_mib < 96, f"server grew by {growth_mib:.0f} MiB for a 2 GiB upload"
    finally:
        server.stop()
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow("SELECT state, size, sha256 FROM uploads WHERE id = $1", upload_id)
    finally:
        await conn.close()
    assert row["state"] == "complete" and row["size"] == size
    assert row["sha256"] == digest.hexdigest()
