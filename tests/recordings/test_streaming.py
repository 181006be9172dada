"""Range streaming of the original recording, the viewing audit, and the S3 path end to end."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.recordings.kit import (
    fake_video,
    manifest_for,
    new_client_id,
    signed_registration,
    split,
    upload_chunks,
)

AUDITOR = {"Authorization": "Bearer test-token-auditor"}


async def _registered(client, scene, data: bytes) -> dict:  # type: ignore[type-arg]
    chunks = split(data, [100_000, 100_000])
    cid = new_client_id()
    upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, "unloading", cid, chunks)
    body = signed_registration(scene.tablet, cid, "unloading", upload_id, manifest_for(scene.tablet.device_id, chunks))
    resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings", json=body, headers=scene.inspector)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_ranges(client, scene, db) -> None:
    data = fake_video(250_000, seed=5)
    rec = await _registered(client, scene, data)
    url = f"/api/recordings/{rec['id']}/video"
    full = await client.get(url, headers=AUDITOR)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["etag"] == f'"{rec["sha256"]}"'
    assert full.headers["content-type"].startswith("video/webm")
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=1000-1999": (1000, 1999),
        "bytes=-500": (len(data) - 500, len(data) - 1),
        "bytes=249000-": (249000, len(data) - 1),
        "bytes=249990-999999": (249990, len(data) - 1),
    }
    for header, (start, end) in cases.items():
        part = await client.get(url, headers={**AUDITOR, "Range": header})
        assert part.status_code == 206, header
        assert part.content == data[start:end + 1], header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    past = await client.get(url, headers={**AUDITOR, "Range": f"bytes={len(data)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"
    stale = await client.get(url, headers={**AUDITOR, "Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == data
    fresh = await client.get(url, headers={**AUDITOR, "Range": "bytes=0-9", "If-Range": full.headers["etag"]})
    assert fresh.status_code == 206 and fresh.content == data[:10]
    # Scrubbing: many requests within a minute, one audit event for this viewer.
    views = await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'recording.viewed' AND object_id = $1", rec["id"])
    assert views == 1
    await client.get(url, headers={**scene.head, "Range": "bytes=0-1"})
    views = await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'recording.viewed' AND object_id = $1", rec["id"])
    assert views == 2
    other_post = await client.get(url, headers={"Authorization": "Bearer test-token-head.altynkol"})
    assert other_post.status_code == 404


@pytest.fixture
def s3_settings(settings, s3_env):  # type: ignore[no-untyped-def]
    import msgspec

    from tests.conftest import BUCKET

    return msgspec.structs.replace(settings, object_store=f"s3://{BUCKET}/api-{uuid.uuid4().hex[:8]}")


async def test_full_flow_on_s3(s3_settings, db_url, auth, db) -> None:
    """The same intake over the S3 store: multipart parts, final object, presigned redirect."""
    from backend.app import create_app
    from tests.recordings.conftest import scene as make_scene

    app = create_app(s3_settings, dsn=db_url)
    async with AsyncTestClient(app=app) as client:
        scene = await make_scene.__wrapped__(client, auth, db)  # type: ignore[attr-defined]
        data = fake_video(12 << 20, seed=9)  # > two S3 parts
        chunks = split(data, [3 << 20] * 4)
        cid = new_client_id()
        upload_id = await upload_chunks(client, scene.inspector, scene.inspection_id, "recount", cid, chunks)
        body = signed_registration(scene.tablet, cid, "recount", upload_id,
                                   manifest_for(scene.tablet.device_id, chunks))
        resp = await client.post(f"/api/inspections/{scene.inspection_id}/recordings", json=body,
                                 headers=scene.inspector)
        assert resp.status_code == 201, resp.text
        rec = resp.json()
        part = await client.get(f"/api/recordings/{rec['id']}/video",
                                headers={**AUDITOR, "Range": "bytes=5000000-5000099"})
        assert part.status_code == 206 and part.content == data[5_000_000:5_000_100]
        redirect = await client.get(f"/api/recordings/{rec['id']}/video?redirect=true", headers=AUDITOR,
                                  follow_redirects=False)
        assert redirect.status_code == 302
        direct = httpx.get(redirect.headers["location"], headers={"Range": "bytes=0-99"})
        assert direct.content == data[:100]
