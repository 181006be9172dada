"""Durable file helpers shared by the local store and the S3 store's spool: nothing is
acknowledged before its bytes and its directory entry are on disk."""

from __future__ import annotations

import fcntl
import hashlib
import mimetypes
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

import msgspec

HASH_CHUNK = 1 << 20
_S = TypeVar("_S", bound=msgspec.Struct)


def fsync_dir(path: Path) -> None:
    """Make a directory entry (a create, rename or unlink inside it) survive a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def makedirs_durable(path: Path) -> None:
    """mkdir -p, fsyncing each parent whose listing changed."""
    missing: list[Path] = []
    p = path
    while not p.is_dir():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            if not d.is_dir():  # a finished object sits where a folder is needed
                raise ValueError(f"{d} is an object, not a folder") from None
            continue
        except NotADirectoryError:
            raise ValueError(f"a parent of {d} is an object, not a folder") from None
        fsync_dir(d.parent)


def write_durable(path: Path, data: bytes) -> None:
    """Atomically replace a small file (sidecars): temp, fsync, rename, fsync the folder."""
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_struct(path: Path, cls: type[_S]) -> _S | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return msgspec.json.decode(raw, type=cls)


def sha256_of(f: BinaryIO, length: int) -> str:
    """Hash the first `length` bytes of a file in fixed chunks: memory does not grow with it."""
    h = hashlib.sha256()
    f.seek(0)
    left = length
    while left:
        block = f.read(min(HASH_CHUNK, left))
        if not block:
            raise OSError(f"file shorter than its committed length {length}")
        h.update(block)
        left -= len(block)
    return h.hexdigest()


def truncate_to(f: BinaryIO, length: int) -> None:
    """Drop bytes written after the last durable offset (a server killed mid-write)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    if size < length:
        raise OSError(f"spool holds {size} bytes but {length} were committed")
    if size > length:
        f.truncate(length)
    f.seek(length)


@contextmanager
def exclusive(f: BinaryIO) -> Iterator[None]:
    """Serialise appends to one upload across threads and processes on this machine."""
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def guess_content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
