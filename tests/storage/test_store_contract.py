"""The ObjectStore contract, run against the directory store and the S3 store alike."""

from __future__ import annotations

import errno
import hashlib
import os
import stat as statmod
from pathlib import Path

import pytest

from backend.storage import (
    LocalObjectStore,
    ObjectExists,
    ObjectInfo,
    ObjectMissing,
    ObjectStore,
    OffsetMismatch,
    UploadMissing,
)
from backend.storage.s3 import S3ObjectStore
from tests.storage.conftest import TEST_PART_SIZE, StoreOpener

PART = TEST_PART_SIZE


def blob(n: int, seed: int = 0) -> bytes:
    """Distinct, position-dependent bytes: a misplaced chunk changes the hash."""
    return hashlib.shake_256(f"dosmotr-{seed}".encode()).digest(n)


async def read_all(store: ObjectStore, key: str, start: int, end: int, chunk: int) -> bytes:
    return b"".join([c async for c in store.read_range(key, start, end, chunk)])


async def append_all(
    store: ObjectStore, key: str, token: str, data: bytes, sizes: list[int]
) -> int:
    offset = 0
    for size in sizes:
        offset = await store.append(key, token, offset, data[offset : offset + size])
    return offset


def spool_file(store: ObjectStore, token: str) -> Path:
    """Where the store keeps not-yet-final bytes (white box, to play a torn write)."""
    if isinstance(store, LocalObjectStore):
        return store.root / ".uploads" / f"{token}.partial"
    assert isinstance(store, S3ObjectStore)
    (tail,) = store.spool_dir.glob(f"{token}.*.tail")
    return tail


async def test_put_stat_get_round_trip(store: ObjectStore) -> None:
    data = blob(1000)
    info = await store.put_bytes("idk/scan-1/image.png", data, "image/png")
    assert (info.key, info.size, info.content_type) == ("idk/scan-1/image.png", 1000, "image/png")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.stat("idk/scan-1/image.png") == info
    assert await store.get_bytes("idk/scan-1/image.png") == data


async def test_finished_local_objects_are_read_only(store: ObjectStore) -> None:
    await store.put_bytes("a.bin", b"x", "application/octet-stream")
    path = store.local_path("a.bin")
    if isinstance(store, LocalObjectStore):
        assert path is not None
        assert statmod.S_IMODE(path.stat().st_mode) == 0o444
    else:
        assert path is None


async def test_missing_objects(store: ObjectStore, tmp_path: Path) -> None:
    assert await store.stat("nope.bin") is None
    with pytest.raises(ObjectMissing):
        await store.get_bytes("nope.bin")
    with pytest.raises(ObjectMissing):
        await read_all(store, "nope.bin", 0, 10, 4)
    with pytest.raises(ObjectMissing):
        await store.download_to("nope.bin", tmp_path / "x")


async def test_overwrite_is_refused(store: ObjectStore) -> None:
    await store.put_bytes("ev/1.png", b"original", "image/png")
    with pytest.raises(ObjectExists):
        await store.put_bytes("ev/1.png", b"forged", "image/png")
    with pytest.raises(ObjectExists):
        await store.begin_append("ev/1.png", "image/png")
    assert await store.get_bytes("ev/1.png") == b"original"


async def test_completion_refused_when_key_taken_meanwhile(store: ObjectStore) -> None:
    token = await store.begin_append("ev/2.webm", "video/webm")
    await store.append("ev/2.webm", token, 0, b"upload")
    await store.put_bytes("ev/2.webm", b"first", "video/webm")
    with pytest.raises(ObjectExists):
        await store.complete_append("ev/2.webm", token)
    assert await store.get_bytes("ev/2.webm") == b"first"
    assert await store.committed_offset("ev/2.webm", token) == 6  # the upload is not lost


@pytest.mark.parametrize(
    ("start", "end", "chunk"),
    [(0, 0, 4), (0, 99, 7), (37, 512, 100), (999, 999, 4), (0, 999, 1 << 20), (990, 5000, 3)],
    ids=["first-byte", "start", "middle", "last-byte", "whole", "end-clamped"],
)
async def test_read_range(store: ObjectStore, start: int, end: int, chunk: int) -> None:
    data = blob(1000, seed=1)
    await store.put_bytes("r.bin", data, "application/octet-stream")
    chunks = [c async for c in store.read_range("r.bin", start, end, chunk)]
    assert b"".join(chunks) == data[start : end + 1]
    assert all(len(c) <= chunk for c in chunks)


@pytest.mark.parametrize(("start", "end"), [(1000, 1000), (5, 4), (-1, 3)])
async def test_read_range_rejects_bad_ranges(store: ObjectStore, start: int, end: int) -> None:
    await store.put_bytes("r.bin", blob(1000), "application/octet-stream")
    with pytest.raises(ValueError):
        await read_all(store, "r.bin", start, end, 100)


async def test_append_in_uneven_chunks(store: ObjectStore, tmp_path: Path) -> None:
    sizes = [1, PART + 3, 17, 2 * PART + 5, 1 << 20, 3, PART - 1]
    data = blob(sum(sizes), seed=2)
    token = await store.begin_append("rec/unloading.webm", "video/webm")
    assert await store.committed_offset("rec/unloading.webm", token) == 0
    assert await append_all(store, "rec/unloading.webm", token, data, sizes) == len(data)
    info = await store.complete_append("rec/unloading.webm", token)
    expected = ObjectInfo(
        "rec/unloading.webm", len(data), hashlib.sha256(data).hexdigest(), "video/webm"
    )
    assert (info.key, info.size, info.sha256, info.content_type) == (
        expected.key,
        expected.size,
        expected.sha256,
        expected.content_type,
    )
    assert await store.stat("rec/unloading.webm") == info
    await store.download_to("rec/unloading.webm", tmp_path / "copy.webm")
    assert (tmp_path / "copy.webm").read_bytes() == data
    tail = await read_all(store, "rec/unloading.webm", len(data) - 10, len(data) + 10, 4)
    assert tail == data[-10:]


async def test_empty_append_is_a_no_op(store: ObjectStore) -> None:
    token = await store.begin_append("rec/e.webm", "video/webm")
    assert await store.append("rec/e.webm", token, 0, b"") == 0
    assert await store.append("rec/e.webm", token, 0, b"ab") == 2
    assert await store.append("rec/e.webm", token, 2, b"") == 2


async def test_resume_after_restart(store_opener: StoreOpener) -> None:
    data = blob(PART + (3 << 20), seed=3)
    first = store_opener()
    token = await first.begin_append("rec/r.webm", "video/webm")
    offset = await append_all(first, "rec/r.webm", token, data, [PART + 11, 1 << 20])

    second = store_opener()  # a new process: only what is on disk or in the bucket survives
    assert await second.committed_offset("rec/r.webm", token) == offset
    with pytest.raises(OffsetMismatch) as err:
        await second.append("rec/r.webm", token, offset - 5, data[offset - 5 :])
    assert err.value.committed == offset
    assert await second.append("rec/r.webm", token, offset, data[offset:]) == len(data)
    info = await second.complete_append("rec/r.webm", token)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await second.get_bytes("rec/r.webm") == data


async def test_torn_write_is_cut_back_to_the_committed_offset(store_opener: StoreOpener) -> None:
    data = blob(4000, seed=4)
    first = store_opener()
    token = await first.begin_append("rec/t.webm", "video/webm")
    await first.append("rec/t.webm", token, 0, data[:1000])
    spool = spool_file(first, token)
    spool.write_bytes(spool.read_bytes() + b"\xff" * 777)  # killed after writing, before commit

    second = store_opener()
    assert await second.committed_offset("rec/t.webm", token) == 1000
    await second.append("rec/t.webm", token, 1000, data[1000:])
    info = await second.complete_append("rec/t.webm", token)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await second.get_bytes("rec/t.webm") == data


async def test_completing_twice_answers_the_same(store: ObjectStore) -> None:
    token = await store.begin_append("rec/c.webm", "video/webm")
    await store.append("rec/c.webm", token, 0, b"abc")
    info = await store.complete_append("rec/c.webm", token)
    assert await store.complete_append("rec/c.webm", token) == info
    with pytest.raises(UploadMissing):
        await store.append("rec/c.webm", token, 3, b"d")
    with pytest.raises(UploadMissing):
        await store.committed_offset("rec/c.webm", token)


async def test_abort(store: ObjectStore) -> None:
    token = await store.begin_append("rec/a.webm", "video/webm")
    await store.append("rec/a.webm", token, 0, blob(PART + 1))
    await store.abort_append("rec/a.webm", token)
    with pytest.raises(UploadMissing):
        await store.committed_offset("rec/a.webm", token)
    with pytest.raises(UploadMissing):
        await store.append("rec/a.webm", token, PART + 1, b"x")
    with pytest.raises(UploadMissing):
        await store.complete_append("rec/a.webm", token)
    assert await store.stat("rec/a.webm") is None
    await store.abort_append("rec/a.webm", token)  # already gone: fine
    token2 = await store.begin_append("rec/a.webm", "video/webm")  # the key is free again
    assert await store.committed_offset("rec/a.webm", token2) == 0


async def test_a_token_belongs_to_its_key(store: ObjectStore) -> None:
    token = await store.begin_append("rec/k.webm", "video/webm")
    with pytest.raises(UploadMissing):
        await store.append("rec/other.webm", token, 0, b"x")
    with pytest.raises(UploadMissing):
        await store.abort_append("rec/other.webm", token)
    for bad in ("../../etc/passwd", "0" * 31, "X" * 32, ""):
        with pytest.raises(UploadMissing):
            await store.committed_offset("rec/k.webm", bad)
    assert await store.committed_offset("rec/k.webm", token) == 0


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../x",
    "a/../../b",
    "a//b",
    "a/./b",
    "a/",
    ".meta/x",
    "a/.uploads",
    "a\\b",
    "a\x00b",
    "a b",
    "ключ",
    "x" * 1025,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_bad_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.put_bytes(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        await store.stat(key)
    with pytest.raises(ValueError):
        await store.begin_append(key, "text/plain")
    with pytest.raises(ValueError):
        await read_all(store, key, 0, 1, 1)


async def test_usual_keys_are_accepted(store: ObjectStore) -> None:
    for key in ("a", "inspections/01HX/exterior/3f2a.webm", "idk/ALTYNKOL/img_0001.v2.tiff"):
        await store.put_bytes(key, key.encode(), "application/octet-stream")
        assert await store.get_bytes(key) == key.encode()


async def test_presigned_get_shape(store: ObjectStore) -> None:
    await store.put_bytes("p.png", b"png", "image/png")
    url = await store.presigned_get("p.png", expires_s=60)
    if isinstance(store, LocalObjectStore):
        assert url is None
    else:
        assert url is not None and url.startswith("http")


async def test_local_metadata_is_rebuilt_after_a_crash(tmp_path: Path) -> None:
    # A key whose bytes outlived their metadata (crash between the two) is still described.
    store = LocalObjectStore(tmp_path / "objects")
    data = os.urandom(3000)
    info = await store.put_bytes("v/x.webm", data, "video/webm")
    meta = tmp_path / "objects" / ".meta" / "v" / "x.webm.json"
    meta.unlink()
    healed = await store.stat("v/x.webm")
    assert healed is not None
    assert (healed.size, healed.sha256, healed.content_type) == (3000, info.sha256, "video/webm")
    assert meta.exists()


async def test_local_store_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    store = LocalObjectStore(tmp_path / "objects")
    await store.put_bytes("a.png", b"a", "image/png")
    with pytest.raises(ObjectExists):
        await store.put_bytes("a.png", b"b", "image/png")
    token = await store.begin_append("v.webm", "video/webm")
    await store.append("v.webm", token, 0, b"video")
    info = await store.complete_append("v.webm", token)
    assert await store.complete_append("v.webm", token) == info
    assert await store.get_bytes("v.webm") == b"video"
    assert list((tmp_path / "objects" / ".uploads").iterdir()) == []
