"""The backup manifest: what a backup folder holds, checked again at restore."""

from __future__ import annotations

from pathlib import Path

import msgspec

FORMAT = "dosmotr-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
OBJECTS = "objects"
SECRETS = "secrets.json"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


class DatabasePart(msgspec.Struct, frozen=True):
    file: str
    size: int
    sha256: str
    server_version: str
    snapshot: str  # the exported snapshot pg_dump and the object list both read


class AuditHead(msgspec.Struct, frozen=True):
    ok: bool
    length: int
    head: str | None


class EvidenceObject(msgspec.Struct, frozen=True):
    key: str
    size: int
    sha256: str
    content_type: str | None = None
    refs: tuple[str, ...] = ()  # "table.column" rows that name this key
    copied: bool = False


class StorePart(msgspec.Struct, frozen=True):
    kind: str  # local | s3
    location: str


class BackupManifest(msgspec.Struct, frozen=True):
    format: str
    created_at: str
    app_version: str
    database: DatabasePart
    audit: AuditHead
    store: StorePart
    objects: tuple[EvidenceObject, ...]
    secrets: bool = False


def write_manifest(folder: Path, manifest: BackupManifest) -> None:
    path = folder / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n")
    tmp.replace(path)


def read_manifest(folder: Path) -> BackupManifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a Dosmotr backup: no {MANIFEST}")
    try:
        manifest = msgspec.json.decode(path.read_bytes(), type=BackupManifest)
    except msgspec.DecodeError as exc:
        raise BackupError(f"{path} is not a valid backup manifest: {exc}") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"{path} has format {manifest.format!r}; this version reads {FORMAT!r}")
    return manifest
