"""Back up and restore the database and the evidence store as one consistent pair.

Consistency: the object list and pg_dump read one exported snapshot, so every object the
dump refers to is in the manifest. Objects are write-once, so copying them after the snapshot
is safe (an object written since is copied too, harmlessly).
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from backend.backup import repo
from backend.backup.evidence import (
    Reference,
    copy_with_digest,
    file_digest,
    local_object_keys,
    referenced_objects,
)
from backend.backup.manifest import (
    DUMP,
    FORMAT,
    OBJECTS,
    SECRETS,
    AuditHead,
    BackupError,
    BackupManifest,
    DatabasePart,
    EvidenceObject,
    StorePart,
    read_manifest,
    write_manifest,
)
from backend.backup.pgtools import run_pg_tool
from backend.db.pool import connect
from backend.storage.base import ObjectStore, validate_key
from backend.storage.local import LocalObjectStore

RESTORE_CHUNK = 4 << 20


def _app_version() -> str:
    try:
        return version("dosmotr")
    except PackageNotFoundError:
        return "unknown"


def _prepare_destination(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: a backup never "
                          "overwrites another; give a new folder")
    dest.mkdir(parents=True, exist_ok=True)


async def backup(dest: Path, dsn: str, store: ObjectStore, store_spec: str,
                 data_dir: Path) -> BackupManifest:
    """Write a backup folder. `dsn` should be the owner's (it reads every table)."""
    from backend.audit.repo import verify_chain

    _prepare_destination(dest)
    conn = await connect(dsn)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await repo.export_snapshot(conn)
            server_version = await repo.server_version(conn)
            try:
                refs = await referenced_objects(conn)
            except ValueError as exc:
                raise BackupError(f"the database disagrees with itself: {exc}") from exc
            chain = await verify_chain(conn)
            # pg_dump joins the snapshot while this transaction holds it open.
            await asyncio.to_thread(
                run_pg_tool, "pg_dump",
                ["--format=custom", f"--snapshot={snapshot}", f"--file={dest / DUMP}"], dsn,
            )
    finally:
        await conn.close()
    dump_size, dump_sha = await asyncio.to_thread(file_digest, dest / DUMP)

    if isinstance(store, LocalObjectStore):
        objects = await _copy_local_objects(store, refs, dest / OBJECTS)
        store_part = StorePart(kind="local", location=str(store.root))
    else:
        objects = await _list_remote_objects(store, refs)
        store_part = StorePart(kind="s3", location=store_spec)

    has_secrets = await asyncio.to_thread(_copy_secrets, data_dir / SECRETS, dest / SECRETS)
    manifest = BackupManifest(
        format=FORMAT,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=_app_version(),
        database=DatabasePart(file=DUMP, size=dump_size, sha256=dump_sha,
                              server_version=str(server_version), snapshot=str(snapshot)),
        audit=AuditHead(ok=chain.ok, length=chain.length, head=chain.head),
        store=store_part,
        objects=tuple(objects),
        secrets=has_secrets,
    )
    write_manifest(dest, manifest)  # last: a folder without a manifest is an unfinished backup
    return manifest


async def _copy_local_objects(
    store: LocalObjectStore, refs: dict[str, Reference], dest: Path
) -> list[EvidenceObject]:
    objects = []
    for key in await asyncio.to_thread(lambda: list(local_object_keys(store.root))):
        info = await store.stat(key)
        if info is None:
            continue  # a file without the store's metadata is not a finished object
        size, sha = await asyncio.to_thread(copy_with_digest, store.root / key, dest / key)
        ref = refs.get(key)
        for what, expected in (("the store's metadata", info.sha256),
                               ("the database", ref.sha256 if ref else None)):
            if expected is not None and expected.lower() != sha:
                raise BackupError(f"evidence object {key} has sha256 {sha}, {what} records "
                                  f"{expected}: the store is damaged; investigate before "
                                  "backing up over it")
        objects.append(EvidenceObject(key=key, size=size, sha256=sha, content_type=info.content_type,
                                      refs=tuple(ref.refs) if ref else (), copied=True))
    missing = sorted(set(refs) - {o.key for o in objects})
    if missing:
        raise BackupError(f"{len(missing)} objects the database names are not in the store, "
                          f"e.g. {missing[:3]}")
    return objects


async def _list_remote_objects(
    store: ObjectStore, refs: dict[str, Reference]
) -> list[EvidenceObject]:
    objects: list[EvidenceObject] = []
    missing: list[str] = []
    for key in sorted(refs):
        info = await store.stat(key)
        if info is None:
            missing.append(key)
            continue
        objects.append(EvidenceObject(key=key, size=info.size, sha256=refs[key].sha256,
                                      content_type=info.content_type, refs=tuple(refs[key].refs)))
    if missing:
        raise BackupError(f"{len(missing)} objects the database names are not in the bucket, "
                          f"e.g. {missing[:3]}")
    return objects


@dataclass
class RestoreResult:
    manifest: BackupManifest
    restored_objects: int = 0
    missing_remote: list[str] = field(default_factory=list)
    secrets_restored: bool = False


async def restore(src: Path, dsn: str, store: ObjectStore, data_dir: Path) -> RestoreResult:
    """Restore a backup folder into an empty database and an empty store.

    Everything is checked before anything is written: the dump's and every copied object's
    sha256 against the manifest, the database and the store being empty. `dsn` is the owner's
    (the restored tables are owned by it; the app role is granted by the next migration run).
    """
    manifest = read_manifest(src)
    await asyncio.to_thread(_verify_backup_files, src, manifest)
    copied = [o for o in manifest.objects if o.copied]
    conn = await connect(dsn)
    try:
        if await repo.user_relation_count(conn):
            raise BackupError("the target database is not empty: restore only into a new, empty "
                              "database (a new DOSMOTR_DATA_DIR, or CREATE DATABASE for "
                              "DATABASE_URL); nothing was changed")
    finally:
        await conn.close()
    if copied and isinstance(store, LocalObjectStore):
        if next(local_object_keys(store.root), None) is not None:
            raise BackupError(f"the object store {store.root} is not empty; nothing was changed")
    for obj in copied:
        if await store.stat(obj.key) is not None:
            raise BackupError(f"the object store already holds {obj.key}: evidence is never "
                              "overwritten; restore into an empty store; nothing was changed")

    await asyncio.to_thread(
        run_pg_tool, "pg_restore",
        ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
         str(src / manifest.database.file)], dsn,
    )
    result = RestoreResult(manifest=manifest)
    for obj in copied:
        await _put_object(store, src / OBJECTS / obj.key, obj)
        result.restored_objects += 1
    for obj in manifest.objects:
        if not obj.copied and await store.stat(obj.key) is None:
            result.missing_remote.append(obj.key)
    if manifest.secrets:
        result.secrets_restored = await asyncio.to_thread(
            _copy_secrets, src / SECRETS, data_dir / SECRETS)
    return result


def _copy_secrets(src: Path, dest: Path) -> bool:
    """The data dir's generated secrets (token pepper, VAPID key) go along, readable by the
    owner only; an existing secrets file at the destination is never replaced."""
    if not src.is_file() or dest.exists():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(0o600)
    return True


def _verify_backup_files(src: Path, manifest: BackupManifest) -> None:
    size, sha = file_digest(src / manifest.database.file)
    if sha != manifest.database.sha256 or size != manifest.database.size:
        raise BackupError(f"{manifest.database.file} does not match the manifest (sha256 {sha}): "
                          "the backup is damaged; nothing was changed")
    for obj in manifest.objects:
        if not obj.copied:
            continue
        path = src / OBJECTS / validate_key(obj.key)
        if not path.is_file():
            raise BackupError(f"the backup lacks its copy of {obj.key}; nothing was changed")
        size, sha = file_digest(path)
        if sha != obj.sha256 or size != obj.size:
            raise BackupError(f"the backup's copy of {obj.key} has sha256 {sha}, the manifest "
                              f"says {obj.sha256}: the backup is damaged; nothing was changed")


async def _put_object(store: ObjectStore, path: Path, obj: EvidenceObject) -> None:
    token = await store.begin_append(obj.key, obj.content_type or "application/octet-stream")
    offset = 0
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, RESTORE_CHUNK):
            offset = await store.append(obj.key, token, offset, chunk)
    info = await store.complete_append(obj.key, token)
    if info.sha256.lower() != obj.sha256:
        raise BackupError(f"restored {obj.key} reads back as sha256 {info.sha256}, expected "
                          f"{obj.sha256}")
