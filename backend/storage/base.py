"""The object store contract shared by the backend and the media pipeline.

Evidence is write-once: no method here replaces or deletes a finished object. The only removal
is `abort_append`, which discards an upload that never completed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import msgspec

__all__ = [
    "ObjectExists",
    "ObjectInfo",
    "ObjectMissing",
    "ObjectStore",
    "OffsetMismatch",
    "StoreError",
    "UploadMissing",
    "clamp_range",
    "validate_key",
    "validate_token",
]

MAX_KEY_BYTES = 1024  # S3's own limit; keeping it for local too keeps keys portable


class ObjectInfo(msgspec.Struct, frozen=True):
    key: str
    size: int
    sha256: str  # lowercase hex
    content_type: str
    etag: str | None = None


class StoreError(Exception):
    """Base of every error the stores raise on purpose."""


class ObjectExists(StoreError):
    """The key was already written: evidence is never overwritten."""


class ObjectMissing(StoreError):
    """No finished object under that key."""


class UploadMissing(ObjectMissing):
    """No unfinished upload with that token for that key (never begun, completed or aborted)."""


class OffsetMismatch(StoreError):
    """An append did not start at the committed offset (tus answers 409 with the real one)."""

    def __init__(self, committed: int, offered: int) -> None:
        super().__init__(f"append at offset {offered}, committed offset is {committed}")
        self.committed = committed
        self.offered = offered


@runtime_checkable
class ObjectStore(Protocol):
    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        """Store a whole object; raises ObjectExists if the key is taken."""
        ...

    async def stat(self, key: str) -> ObjectInfo | None: ...

    async def get_bytes(self, key: str) -> bytes:
        """Whole object in memory: for small objects (images, reports), not videos."""
        ...

    def read_range(
        self, key: str, start: int, end_inclusive: int, chunk: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        """Bytes start..end_inclusive in chunks; end is clamped to the last byte (as HTTP does),
        a start past the end raises ValueError, an unknown key ObjectMissing."""
        ...

    async def presigned_get(self, key: str, expires_s: int = 300) -> str | None:
        """A URL a client may fetch directly, or None when the store has no such thing."""
        ...

    async def download_to(self, key: str, dest: Path) -> None:
        """Copy an object to a local file (ffmpeg wants paths), memory bounded."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The finished object's own file when the store is a directory, else None."""
        ...

    async def begin_append(self, key: str, content_type: str) -> str:
        """Start a resumable upload; returns its token. Raises ObjectExists if the key is taken."""
        ...

    async def append(self, key: str, token: str, offset: int, data: bytes) -> int:
        """Append at `offset` (must equal the committed offset, else OffsetMismatch); the bytes
        are durable when this returns the new committed offset."""
        ...

    async def committed_offset(self, key: str, token: str) -> int: ...

    async def complete_append(self, key: str, token: str) -> ObjectInfo:
        """Make the upload a finished, immutable object. Calling it again after a crash returns
        the finished object's info."""
        ...

    async def abort_append(self, key: str, token: str) -> None:
        """Discard an unfinished upload (expired tus uploads only); a no-op if already gone."""
        ...


# One path segment: no leading dot, so '.', '..' and the stores' own '.meta', '.tmp',
# '.uploads' namespaces can never be named by a key.
_SEGMENT = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_\-.=+@,:]*")
_TOKEN = re.compile(r"[0-9a-f]{32}")


def validate_key(key: str) -> str:
    """Return the key if it is a safe relative object key, else raise ValueError.

    The alphabet is deliberately narrow: keys are made by the backend (ids, phases, file
    extensions), never by users, and the same key must mean the same thing on a file system
    and on S3.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("object key must be a non-empty string")
    if len(key.encode()) > MAX_KEY_BYTES:
        raise ValueError("object key too long")
    if key.startswith("/") or "\\" in key:
        raise ValueError(f"object key must be relative: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"object key has an empty or dot segment: {key!r}")
        if not _SEGMENT.fullmatch(segment):
            raise ValueError(f"object key has a forbidden character or leading dot: {key!r}")
    return key


def validate_token(token: str) -> str:
    """Upload tokens become file names; only ever accept the shape we issue."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise UploadMissing(f"unknown upload token {token!r}")
    return token


def clamp_range(start: int, end_inclusive: int, size: int) -> tuple[int, int]:
    """Validate a byte range against an object size and clamp its end, as HTTP Range does."""
    if start < 0 or end_inclusive < start:
        raise ValueError(f"bad byte range {start}-{end_inclusive}")
    if start >= size:
        raise ValueError(f"range start {start} is past the end of a {size}-byte object")
    return start, min(end_inclusive, size - 1)
