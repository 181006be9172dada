"""What only the S3 store promises: whole parts, object lock, presigned URLs, bounded memory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from backend.storage import LocalObjectStore, ObjectExists, open_store
from backend.storage.s3 import S3ObjectStore
from tests.storage.conftest import BUCKET, TEST_PART_SIZE

PART = TEST_PART_SIZE
REPO = Path(__file__).resolve().parents[2]


def s3_key(store: S3ObjectStore, key: str) -> str:
    return f"{store.prefix}/{key}"


async def test_parts_are_whole_except_the_last(s3_store: S3ObjectStore) -> None:
    sizes = [3 << 20, 4 << 20, 1, 3 * PART + 9, 100]
    data = os.urandom(sum(sizes))
    key = "rec/parts.webm"
    token = await s3_store.begin_append(key, "video/webm")
    offset = 0
    for size in sizes:
        offset = await s3_store.append(key, token, offset, data[offset : offset + size])
        (spool,) = s3_store.spool_dir.glob(f"{token}.*.tail")
        assert spool.stat().st_size < PART  # only the not-yet-part tail stays on disk

    state = s3_store.uploads.state(key, token)
    listed = s3_store.client.list_parts(
        Bucket=BUCKET, Key=s3_key(s3_store, key), UploadId=state.upload_id
    )["Parts"]
    assert [p["Size"] for p in listed] == [PART] * (len(data) // PART)
    assert spool.stat().st_size == len(data) % PART

    info = await s3_store.complete_append(key, token)
    assert info.etag is not None and info.etag.endswith(f"-{len(listed) + 1}")
    assert await s3_store.get_bytes(key) == data
    assert list(s3_store.spool_dir.glob(f"{token}*")) == []


async def test_appends_survive_an_s3_outage(
    s3_store: S3ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * PART + 12345)
    key = "rec/outage.webm"
    token = await s3_store.begin_append(key, "video/webm")

    def unavailable(**kwargs: Any) -> Any:
        error = {"Error": {"Code": "ServiceUnavailable", "Message": "down"}}
        raise ClientError(error, "UploadPart")  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(s3_store.client, "upload_part", unavailable)
        half = 2 * PART + 1
        assert await s3_store.append(key, token, 0, data[:half]) == half  # durable in the spool
    offset = await s3_store.append(key, token, half, data[half:])
    assert offset == len(data)
    state = s3_store.uploads.state(key, token)
    assert state.uploaded == 3 * PART and {p.size for p in state.parts} == {PART}
    info = await s3_store.complete_append(key, token)
    assert info.etag is not None and info.etag.endswith("-4")
    assert await s3_store.get_bytes(key) == data


def assert_locked(store: S3ObjectStore, key: str) -> None:
    head = store.client.head_object(Bucket=BUCKET, Key=s3_key(store, key))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    expected = datetime.now(UTC) + timedelta(days=store.retention_days)
    assert abs(until - expected) < timedelta(hours=1)
    # moto has no GetObjectRetention; that the version cannot be deleted is the proof.
    with pytest.raises(ClientError) as err:
        store.client.delete_object(
            Bucket=BUCKET, Key=s3_key(store, key), VersionId=head["VersionId"]
        )
    assert err.value.response["Error"]["Code"] == "AccessDenied"


async def test_retention_on_finished_objects(s3_store: S3ObjectStore) -> None:
    await s3_store.put_bytes("idk/x.png", b"png", "image/png")
    assert_locked(s3_store, "idk/x.png")
    token = await s3_store.begin_append("rec/l.webm", "video/webm")
    await s3_store.append("rec/l.webm", token, 0, os.urandom(PART + 5))
    await s3_store.complete_append("rec/l.webm", token)
    assert_locked(s3_store, "rec/l.webm")


async def test_bucket_without_lock(s3_client: Any, tmp_path: Path) -> None:
    bucket = f"plain-{uuid.uuid4().hex[:8]}"
    s3_client.create_bucket(Bucket=bucket)
    store = open_store(f"s3://{bucket}", tmp_path)
    assert isinstance(store, S3ObjectStore)
    asked: list[str] = []
    store.client.meta.events.register(
        "before-call.s3.GetObjectLockConfiguration", lambda **kw: asked.append("lock")
    )
    await store.put_bytes("a.png", b"a", "image/png")
    await store.put_bytes("b.png", b"b", "image/png")
    head = s3_client.head_object(Bucket=bucket, Key="a.png")
    assert "ObjectLockMode" not in head
    assert asked == ["lock"]  # the bucket's answer is cached


async def test_presigned_url_serves_the_bytes(s3_store: S3ObjectStore) -> None:
    data = os.urandom(2000)
    await s3_store.put_bytes("idk/p.tiff", data, "image/tiff")
    url = await s3_store.presigned_get("idk/p.tiff", expires_s=120)
    assert url is not None
    async with httpx.AsyncClient() as http:
        whole = await http.get(url)
        part = await http.get(url, headers={"Range": "bytes=10-19"})
    assert whole.status_code == 200 and whole.content == data
    assert part.status_code == 206 and part.content == data[10:20]


async def test_servers_without_conditional_writes(
    s3_store: S3ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = s3_store.client.put_object

    def old_minio_put(**kwargs: Any) -> Any:
        if "IfNoneMatch" in kwargs:
            error = {"Error": {"Code": "NotImplemented", "Message": "If-None-Match"}}
            raise ClientError(error, "PutObject")  # type: ignore[arg-type]
        return real_put(**kwargs)

    monkeypatch.setattr(s3_store.client, "put_object", old_minio_put)
    await s3_store.put_bytes("f.png", b"first", "image/png")
    assert s3_store.conditional_writes is False
    with pytest.raises(ObjectExists):
        await s3_store.put_bytes("f.png", b"second", "image/png")
    with pytest.raises(ObjectExists):  # the write itself checks too, not only put_bytes
        s3_store.write_once("put_object", Bucket=BUCKET, Key=s3_key(s3_store, "f.png"), Body=b"2")
    assert await s3_store.get_bytes("f.png") == b"first"


async def test_abort_ends_the_multipart_upload(s3_store: S3ObjectStore) -> None:
    token = await s3_store.begin_append("rec/a.webm", "video/webm")
    await s3_store.append("rec/a.webm", token, 0, os.urandom(PART + 1))
    await s3_store.abort_append("rec/a.webm", token)
    uploads = s3_store.client.list_multipart_uploads(Bucket=BUCKET, Prefix=s3_store.prefix)
    assert uploads.get("Uploads", []) == []
    assert list(s3_store.spool_dir.glob(f"{token}*")) == []


async def test_completion_interrupted_before_cleanup(
    s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = f"s3://{BUCKET}/c-{uuid.uuid4().hex[:8]}"
    first = open_store(spec, tmp_path, part_size=PART)
    assert isinstance(first, S3ObjectStore)
    data = os.urandom(PART + 77)
    token = await first.begin_append("rec/c.webm", "video/webm")
    await first.append("rec/c.webm", token, 0, data)

    def killed(token: str) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(first.uploads, "_remove_spool", killed)
    with pytest.raises(SystemExit):
        await first.complete_append("rec/c.webm", token)

    second = open_store(spec, tmp_path, part_size=PART)
    info = await second.complete_append("rec/c.webm", token)
    assert info.size == len(data)
    assert await second.get_bytes("rec/c.webm") == data
    assert await second.stat("rec/c.webm") == info


MEMORY_PROBE = textwrap.dedent(
    """
    import asyncio, os, sys, tracemalloc
    from pathlib import Path
    from backend.storage import open_store

    async def main() -> None:
        store = open_store(sys.argv[1], Path(sys.argv[2]))
        piece = os.urandom(1 << 20)
        token = await store.begin_append("rec/big.webm", "video/webm")
        tracemalloc.start()
        offset = 0
        for _ in range(64):
            offset = await store.append("rec/big.webm", token, offset, piece)
        info = await store.complete_append("rec/big.webm", token)
        peak = tracemalloc.get_traced_memory()[1]
        assert info.size == 64 << 20, info
        print(peak, store.part_size)

    asyncio.run(main())
    """
)


def test_memory_per_upload_is_bounded_by_the_part_size(s3_env: str, tmp_path: Path) -> None:
    # The probe runs in its own process: moto, in this one, keeps the parts in memory too.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    spec = f"s3://{BUCKET}/m-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, spec, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    peak, part_size = map(int, done.stdout.split())
    assert part_size == 8 << 20  # the default
    assert peak < 3 * part_size, f"peak {peak / 2**20:.1f} MiB for 64 MiB uploaded"


def test_open_store_specs(s3_env: str, tmp_path: Path) -> None:
    local = open_store("", tmp_path)
    assert isinstance(local, LocalObjectStore) and local.root == tmp_path / "objects"
    there = open_store(str(tmp_path / "elsewhere"), tmp_path)
    assert isinstance(there, LocalObjectStore) and there.root == tmp_path / "elsewhere"
    s3 = open_store("s3://bucket-name/some/prefix/", tmp_path, retention_days=30)
    assert isinstance(s3, S3ObjectStore)
    assert (s3.bucket, s3.prefix, s3.retention_days) == ("bucket-name", "some/prefix", 30)
    assert s3.spool_dir == tmp_path / "s3-spool"
    assert s3.client.meta.endpoint_url == s3_env  # AWS_ENDPOINT_URL, as boto3 reads it
    for bad in ("s3://", "gs://bucket", "ftp://host/x"):
        with pytest.raises(ValueError):
            open_store(bad, tmp_path)
    with pytest.raises(ValueError):
        open_store("s3://b-name", tmp_path, part_size=1 << 20)
