"""`dosmotr backup` and `dosmotr restore` on the embedded database and the local store, through
the real CLI: demo data (IDK images and conclusion forms) plus a recording with a generated
video and its poster; back up, wipe the data dir, restore, verify."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from backend.backup.evidence import local_object_keys
from backend.db.embedded import resolve_database
from backend.settings import Settings, load_secrets
from backend.storage.local import LocalObjectStore
from tests import media


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DOSMOTR_") and k not in ("DATABASE_URL", "AWS_ENDPOINT_URL")}
    env["DOSMOTR_DATA_DIR"] = str(data)
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_digests(data: Path) -> dict[str, str]:
    root = data / "objects"
    return {key: _sha(root / key) for key in local_object_keys(root)}


async def _add_recording(data: Path) -> tuple[str, str]:
    """A finished recording of a demo inspection, its video and poster in the store."""
    db = await resolve_database(None, data)
    try:
        store = LocalObjectStore(data / "objects")
        video = media.recording("short.mp4").read_bytes()
        conn = await asyncpg.connect(db.migrate_dsn)
        try:
            inspection = await conn.fetchval("SELECT id FROM inspections ORDER BY id LIMIT 1")
            assert inspection, "the demo data has an inspection"
            key = f"recordings/{inspection}/backup-test.mp4"
            info = await store.put_bytes(key, video, "video/mp4")
            rec_id = await conn.fetchval(
                """INSERT INTO recordings (inspection_id, phase, version, client_id, object_key,
                       mime, size, sha256, manifest, signature, state)
                   VALUES ($1, 'unloading', 99, 'backup-test', $2, 'video/mp4', $3, $4,
                           '{}'::jsonb, '', 'validated') RETURNING id""",
                inspection, key, info.size, info.sha256,
            )
            poster = await store.put_bytes(f"renditions/{rec_id}/poster.png",
                                           b"\x89PNG\r\n\x1a\n" + os.urandom(512), "image/png")
            await conn.execute(
                """INSERT INTO renditions (recording_id, kind, object_key, content_type, size, sha256)
                   VALUES ($1, 'poster', $2, 'image/png', $3, $4)""",
                rec_id, poster.key, poster.size, poster.sha256,
            )
        finally:
            await conn.close()
        return str(rec_id), info.sha256
    finally:
        if db.server is not None:
            db.server.cleanup()


async def _query(data: Path, sql: str) -> list[asyncpg.Record]:
    db = await resolve_database(None, data)
    try:
        conn = await asyncpg.connect(db.migrate_dsn)
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()
    finally:
        if db.server is not None:
            db.server.cleanup()


@dataclass
class Made:
    """A data dir with demo data and a recording, and its backup."""

    data: Path
    backup: Path
    verified: str  # `dosmotr audit verify` output before the backup
    before: dict[str, str]  # object key -> sha256 of the store's bytes
    rec_id: str
    video_sha: str
    secrets: bytes


@pytest.fixture(scope="module")
def made() -> Iterator[Made]:
    root = Path(tempfile.mkdtemp(prefix="dosmotr-backup-"))
    root.chmod(0o755)  # pgserver (as root) runs PostgreSQL as its own user under this folder
    try:
        data, backup = root / "var", root / "backup"
        seeded = _cli(data, "seed-demo")
        assert seeded.returncode == 0, seeded.stderr
        rec_id, video_sha = asyncio.run(_add_recording(data))
        before = _store_digests(data)
        assert len(before) >= 3 and any(k.startswith("recordings/") for k in before)
        verified = _cli(data, "audit", "verify")
        assert verified.returncode == 0 and "audit chain ok" in verified.stdout
        load_secrets(Settings.from_env({"DOSMOTR_DATA_DIR": str(data)}))  # as `serve` makes them
        written = _cli(data, "backup", str(backup))
        assert written.returncode == 0, written.stderr
        yield Made(data, backup, verified.stdout, before, rec_id, video_sha,
                   (data / "secrets.json").read_bytes())
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_backup_wipe_restore_verifies(made: Made) -> None:
    data, backup, before, video_sha = made.data, made.backup, made.before, made.video_sha
    manifest = json.loads((backup / "manifest.json").read_text())
    listed = {o["key"]: o for o in manifest["objects"]}
    assert {k: o["sha256"] for k, o in listed.items()} == before
    assert all(o["copied"] for o in listed.values())
    (video,) = [o for k, o in listed.items() if k.endswith("/backup-test.mp4")]
    assert video["sha256"] == video_sha and "recordings.object_key" in video["refs"]
    assert any("idk" in ref or "scan" in ref for o in listed.values() for ref in o["refs"])
    assert manifest["audit"]["ok"] and manifest["audit"]["length"] > 20
    assert (backup / "secrets.json").stat().st_mode & 0o077 == 0
    # A backup never overwrites another.
    again = _cli(data, "backup", str(backup))
    assert again.returncode == 1 and "not an empty folder" in again.stderr

    shutil.rmtree(data)  # the machine is lost
    restored = _cli(data, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    after = _cli(data, "audit", "verify")
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout == made.verified  # same length, same head
    assert _store_digests(data) == before
    assert (data / "secrets.json").read_bytes() == made.secrets
    rows = asyncio.run(_query(data, f"SELECT sha256 FROM recordings WHERE id = '{made.rec_id}'"))
    assert rows[0]["sha256"] == video_sha == _sha(data / "objects" / video["key"])
    # Every digest the restored database records matches its object's bytes.
    scans = asyncio.run(_query(data, "SELECT image_key, image_sha256 FROM idk_scans"))
    assert scans
    for row in scans:
        assert _sha(data / "objects" / row["image_key"]) == row["image_sha256"]

    # Restoring over live data is refused and changes nothing.
    twice = _cli(data, "restore", str(backup))
    assert twice.returncode == 1 and "not empty" in twice.stderr
    assert _cli(data, "audit", "verify").stdout == made.verified


def test_a_damaged_backup_is_refused_before_anything_is_written(made: Made) -> None:
    backup, damaged, data = made.backup, made.backup.parent / "damaged", made.backup.parent / "var2"
    shutil.copytree(backup, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    victim = damaged / "objects" / manifest["objects"][0]["key"]
    victim.chmod(0o644)
    body = bytearray(victim.read_bytes())
    body[len(body) // 2] ^= 0xFF
    victim.write_bytes(bytes(body))
    out = _cli(data, "restore", str(damaged))
    assert out.returncode == 1
    assert re.search(r"damaged; nothing was changed", out.stderr), out.stderr
    left = asyncio.run(_query(data, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"))
    assert left[0]["n"] == 0
    assert not (data / "objects").exists() or not list(local_object_keys(data / "objects"))
