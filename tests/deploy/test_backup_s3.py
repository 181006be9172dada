"""Backup against an S3 store (moto over HTTP): objects are listed with the database's sha256,
not copied; restore checks that each is in the bucket; a referenced object missing from the
bucket stops the backup."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from backend.backup.manifest import BackupError
from backend.backup.service import backup, restore
from backend.storage.s3 import S3ObjectStore
from tests.conftest import EmbeddedServer
from tests.storage.conftest import s3_store  # noqa: F401  (fixture)

INSERT_SCAN = """
INSERT INTO idk_scans (image_id, post_code, scanner, scanned_at, image_key, image_sha256,
                       image_mime, image_size, width, height, created_by)
VALUES ($1, 'ALTYNKOL', 'test', $2, $3, $4, 'image/png', $5, 8, 8,
        (SELECT id FROM users WHERE login = 'idk.altynkol'))
"""


@pytest_asyncio.fixture
async def empty_db(pg: EmbeddedServer) -> AsyncIterator[str]:
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield pg.dsn(name)
    admin = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _scan(db: asyncpg.Connection, store: S3ObjectStore, put: bool = True) -> tuple[str, str]:
    body = b"\x89PNG\r\n\x1a\n" + os.urandom(256)
    key = f"idk/{uuid.uuid4().hex}/scan.png"
    if put:
        info = await store.put_bytes(key, body, "image/png")
        assert info.sha256 == hashlib.sha256(body).hexdigest()
    sha = hashlib.sha256(body).hexdigest()
    await db.execute(INSERT_SCAN, key, datetime.now(UTC), key, sha, len(body))
    return key, sha


async def test_s3_objects_are_listed_and_found_again_at_restore(
    db: asyncpg.Connection, db_url: str, s3_store: S3ObjectStore, empty_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    key, sha = await _scan(db, s3_store)
    dest = tmp_path / "backup"
    manifest = await backup(dest, db_url, s3_store, "s3://bucket/prefix", tmp_path / "data")
    assert manifest.store.kind == "s3"
    (listed,) = [o for o in manifest.objects if o.key == key]
    assert listed.sha256 == sha and not listed.copied
    assert listed.refs == ("idk_scans.image_key",)
    assert not (dest / "objects").exists()

    result = await restore(dest, empty_db, s3_store, tmp_path / "data2")
    assert result.missing_remote == [] and result.restored_objects == 0
    restored = await asyncpg.connect(empty_db)
    try:
        assert await restored.fetchval("SELECT image_sha256 FROM idk_scans WHERE image_key = $1",
                                       key) == sha
    finally:
        await restored.close()


async def test_an_object_missing_from_the_bucket_stops_the_backup(
    db: asyncpg.Connection, db_url: str, s3_store: S3ObjectStore, tmp_path: Path,  # noqa: F811
) -> None:
    await _scan(db, s3_store, put=False)
    with pytest.raises(BackupError, match="not in the bucket"):
        await backup(tmp_path / "backup", db_url, s3_store, "s3://bucket/prefix", tmp_path)
    assert not (tmp_path / "backup" / "manifest.json").exists()  # no manifest: not a backup
