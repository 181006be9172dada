"""A directory as the object store (one post, one machine).

Layout under the root:
    <key>                     finished objects, mode 0444
    .meta/<key>.json          their ObjectInfo (size, sha256, content type), mode 0444
    .tmp/                     whole-object writes in progress
    .uploads/<token>.partial  resumable upload bytes; <token>.json its committed offset

A write is acknowledged only after data, rename and directory entry are fsynced, so a power
cut never loses an acknowledged byte nor leaves a torn object under a key.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import msgspec

from backend.storage.base import (
    ObjectExists,
    ObjectInfo,
    ObjectMissing,
    OffsetMismatch,
    UploadMissing,
    clamp_range,
    validate_key,
    validate_token,
)
from backend.storage.durable import (
    exclusive,
    fsync_dir,
    guess_content_type,
    makedirs_durable,
    read_struct,
    sha256_of,
    truncate_to,
    write_durable,
)


class _UploadState(msgspec.Struct):
    key: str
    content_type: str
    offset: int
    created_at: float


# --- the store --------------------------------------------------------------------------


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._meta = self.root / ".meta"
        self._tmp = self.root / ".tmp"
        self._uploads = self.root / ".uploads"
        for d in (self._meta, self._tmp, self._uploads):
            makedirs_durable(d)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    # paths

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{validate_key(key)}.json"

    def _upload_paths(self, token: str) -> tuple[Path, Path]:
        validate_token(token)
        return self._uploads / f"{token}.partial", self._uploads / f"{token}.json"

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    # whole objects

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        validate_key(key)
        return await asyncio.to_thread(self._put_bytes, key, data, content_type)

    def _put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        if self._path(key).exists():
            raise ObjectExists(key)
        info = ObjectInfo(key, len(data), hashlib.sha256(data).hexdigest(), content_type)
        tmp = self._tmp / uuid.uuid4().hex
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o444)
            os.fsync(f.fileno())
        try:
            self._publish(tmp, info)
        finally:
            tmp.unlink(missing_ok=True)
        return info

    def _publish(self, src: Path, info: ObjectInfo) -> None:
        """Give a fsynced, read-only file its key; the key's first writer wins.

        os.link, unlike rename, fails when the target exists, so two writers racing for a key
        (two processes, two replicas on a shared volume) can never replace each other's bytes.
        The caller removes `src` afterwards.
        """
        path = self._path(info.key)
        makedirs_durable(path.parent)
        try:
            os.link(src, path)
        except FileExistsError:
            raise ObjectExists(info.key) from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
            # No hard links on this file system: check-then-rename has a race window, which
            # only matters for two writers of one key at the same instant.
            if path.exists():
                raise ObjectExists(info.key) from None
            os.rename(src, path)
        fsync_dir(path.parent)
        self._write_meta(info)

    def _write_meta(self, info: ObjectInfo) -> None:
        meta = self._meta_path(info.key)
        makedirs_durable(meta.parent)
        write_durable(meta, msgspec.json.encode(info))
        os.chmod(meta, 0o444)

    async def stat(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        return await asyncio.to_thread(self._stat, key)

    def _stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        info = read_struct(self._meta_path(key), ObjectInfo)
        if info is not None:
            return info
        # Crash between publishing the object and writing its metadata: the object is
        # complete (it was fsynced before it got its key), so rebuild what we can.
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            info = ObjectInfo(key, size, sha256_of(f, size), guess_content_type(key))
        self._write_meta(info)
        return info

    async def get_bytes(self, key: str) -> bytes:
        validate_key(key)
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectMissing(key) from None

    async def read_range(
        self, key: str, start: int, end_inclusive: int, chunk: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        validate_key(key)
        try:
            f = await asyncio.to_thread(open, self._path(key), "rb")
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectMissing(key) from None
        try:
            size = os.fstat(f.fileno()).st_size
            pos, end = clamp_range(start, end_inclusive, size)
            await asyncio.to_thread(f.seek, pos)
            while pos <= end:
                block = await asyncio.to_thread(f.read, min(chunk, end + 1 - pos))
                if not block:
                    break
                pos += len(block)
                yield block
        finally:
            f.close()

    async def presigned_get(self, key: str, expires_s: int = 300) -> str | None:
        validate_key(key)
        return None

    async def download_to(self, key: str, dest: Path) -> None:
        validate_key(key)

        def copy() -> None:
            src = self._path(key)
            if not src.is_file():
                raise ObjectMissing(key)
            shutil.copyfile(src, dest)

        await asyncio.to_thread(copy)

    # resumable uploads

    async def begin_append(self, key: str, content_type: str) -> str:
        validate_key(key)
        return await asyncio.to_thread(self._begin_append, key, content_type)

    def _begin_append(self, key: str, content_type: str) -> str:
        if self._path(key).exists():
            raise ObjectExists(key)
        token = uuid.uuid4().hex
        partial, sidecar = self._upload_paths(token)
        with open(partial, "xb") as f:
            os.fsync(f.fileno())
        write_durable(sidecar, msgspec.json.encode(_UploadState(key, content_type, 0, time.time())))
        return token

    def _state(self, key: str, token: str) -> _UploadState:
        state = read_struct(self._upload_paths(token)[1], _UploadState)
        if state is None or state.key != key:
            raise UploadMissing(f"no upload {token} for {key}")
        return state

    async def append(self, key: str, token: str, offset: int, data: bytes) -> int:
        validate_key(key)
        validate_token(token)
        return await asyncio.to_thread(self._append, key, token, offset, data)

    @contextmanager
    def _locked_partial(self, key: str, token: str) -> Iterator[BinaryIO]:
        """The upload's bytes, locked against other appenders, threads and processes alike."""
        try:
            f = open(self._upload_paths(token)[0], "r+b")
        except FileNotFoundError:
            raise UploadMissing(f"no upload {token} for {key}") from None
        with f, exclusive(f):
            yield f

    def _append(self, key: str, token: str, offset: int, data: bytes) -> int:
        with self._locked_partial(key, token) as f:
            state = self._state(key, token)  # re-read under the lock: another writer may have won
            if offset != state.offset:
                raise OffsetMismatch(state.offset, offset)
            if not data:
                return state.offset
            truncate_to(f, state.offset)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            # The sidecar moves only after the bytes are on disk, so it never claims more than
            # the file durably holds; anything past it is a torn write and is cut on resume.
            state.offset += len(data)
            write_durable(self._upload_paths(token)[1], msgspec.json.encode(state))
            return state.offset

    async def committed_offset(self, key: str, token: str) -> int:
        validate_key(key)
        validate_token(token)
        return (await asyncio.to_thread(self._state, key, token)).offset

    async def complete_append(self, key: str, token: str) -> ObjectInfo:
        validate_key(key)
        validate_token(token)
        return await asyncio.to_thread(self._complete_append, key, token)

    def _complete_append(self, key: str, token: str) -> ObjectInfo:
        try:
            with self._locked_partial(key, token) as f:
                return self._complete_locked(f, key, token)
        except UploadMissing:
            return self._finished_after_crash(key, token)

    def _complete_locked(self, f: BinaryIO, key: str, token: str) -> ObjectInfo:
        partial, sidecar = self._upload_paths(token)
        state = self._state(key, token)
        path = self._path(key)
        if path.exists() and os.path.samefile(path, partial):
            # A previous completion linked it and died before cleaning up.
            info = self._stat(key)
            assert info is not None
        else:
            truncate_to(f, state.offset)
            digest = sha256_of(f, state.offset)
            os.fchmod(f.fileno(), 0o444)
            os.fsync(f.fileno())
            info = ObjectInfo(key, state.offset, digest, state.content_type)
            try:
                self._publish(partial, info)
            except ObjectExists:
                # Someone else took the key; the upload stays resumable, never discarded.
                os.fchmod(f.fileno(), 0o644)
                raise
        sidecar.unlink()
        partial.unlink(missing_ok=True)  # already gone if _publish had to rename
        fsync_dir(self._uploads)
        return info

    def _finished_after_crash(self, key: str, token: str) -> ObjectInfo:
        """A repeated completion whose first run published the object: answer as it did.

        Keys are made per upload, so the object under the key is this upload's.
        """
        sidecar = self._upload_paths(token)[1]
        info = self._stat(key)
        state = read_struct(sidecar, _UploadState)
        if info is None or (state is not None and (state.key, state.offset) != (key, info.size)):
            raise UploadMissing(f"no upload {token} for {key}")
        if state is not None:  # published by rename, then interrupted before cleaning up
            sidecar.unlink()
            fsync_dir(self._uploads)
        return info

    async def abort_append(self, key: str, token: str) -> None:
        validate_key(key)
        validate_token(token)
        await asyncio.to_thread(self._abort_append, key, token)

    def _abort_append(self, key: str, token: str) -> None:
        partial, sidecar = self._upload_paths(token)
        state = read_struct(sidecar, _UploadState)
        if state is None:
            return
        if state.key != key:
            raise UploadMissing(f"no upload {token} for {key}")
        # The sidecar goes first: without it the partial is just litter, never a half-upload
        # that a later append could resume.
        sidecar.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
        fsync_dir(self._uploads)
