"""Resumable uploads for the S3 store: a multipart upload fed as bytes arrive.

S3 takes parts of at least 5 MiB, so the tail that is not yet a whole part is spooled to a
local file (fsynced) and only uploaded parts plus spooled bytes count as committed. A JSON
sidecar beside the spool keeps the upload id and the part list, so a restarted server carries
on where the old one stopped. An upload therefore resumes on the machine, or shared volume,
that holds its spool. Everything here blocks; S3ObjectStore calls it off the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from backend.storage.base import (
    ObjectExists,
    ObjectInfo,
    OffsetMismatch,
    UploadMissing,
    validate_token,
)
from backend.storage.durable import (
    HASH_CHUNK,
    exclusive,
    fsync_dir,
    makedirs_durable,
    read_struct,
    truncate_to,
    write_durable,
)

if TYPE_CHECKING:
    from backend.storage.s3 import S3ObjectStore

log = logging.getLogger(__name__)


class _Part(msgspec.Struct):
    number: int
    etag: str
    sha256_b64: str
    size: int


class UploadState(msgspec.Struct):
    key: str
    content_type: str
    upload_id: str
    part_size: int  # fixed per upload, so a restart with another setting cannot mix sizes
    created_at: float
    parts: list[_Part] = []
    uploaded: int = 0  # bytes already in S3 parts
    tail_base: int = 0  # upload offset of the spool file's first byte
    tail_len: int = 0  # durable bytes in the spool file
    completing: bool = False  # no more appends; CompleteMultipartUpload may have run

    @property
    def committed(self) -> int:
        return self.tail_base + self.tail_len


def _missing(key: str, token: str) -> UploadMissing:
    return UploadMissing(f"no upload {token} for {key}")


class S3Uploads:
    def __init__(self, store: S3ObjectStore, spool_dir: Path, part_size: int) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.part_size = part_size
        makedirs_durable(spool_dir)
        # SHA-256 state of uploads fed by this process. hashlib state cannot be persisted, so
        # after a restart the finished object is read back once to hash it.
        self._hashers: dict[str, tuple[Any, int]] = {}

    def _sidecar(self, token: str) -> Path:
        return self.spool_dir / f"{validate_token(token)}.json"

    def _tail(self, token: str, base: int) -> Path:
        return self.spool_dir / f"{token}.{base}.tail"

    def state(self, key: str, token: str) -> UploadState:
        state = read_struct(self._sidecar(token), UploadState)
        if state is None or state.key != key:
            raise _missing(key, token)
        return state

    def _save(self, token: str, state: UploadState) -> None:
        write_durable(self._sidecar(token), msgspec.json.encode(state))

    @contextmanager
    def _locked(self, key: str, token: str) -> Iterator[UploadState]:
        """The upload's state, read under a lock that serialises appenders across threads and
        processes of this machine."""
        try:
            lock = open(self.spool_dir / f"{validate_token(token)}.lock", "rb")
        except FileNotFoundError:
            raise _missing(key, token) from None
        with lock, exclusive(lock):
            yield self.state(key, token)

    def begin(self, key: str, content_type: str) -> str:
        store = self.store
        if store.head(key) is not None:
            raise ObjectExists(key)
        # Retention given at creation leaves no moment when the finished object is unlocked
        # (on servers that honour it); completion sets it again from the completion time.
        resp = store.client.create_multipart_upload(
            Bucket=store.bucket,
            Key=store.s3_key(key),
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            **store.retention(),
        )
        token = uuid.uuid4().hex
        state = UploadState(key, content_type, resp["UploadId"], self.part_size, time.time())
        with open(self._tail(token, 0), "xb") as f:
            os.fsync(f.fileno())
        (self.spool_dir / f"{token}.lock").touch()
        self._save(token, state)
        self._hashers[token] = (hashlib.sha256(), 0)
        return token

    def append(self, key: str, token: str, offset: int, data: bytes) -> int:
        with self._locked(key, token) as state:
            if state.completing:
                raise UploadMissing(f"upload {token} is being completed")
            if offset != state.committed:
                raise OffsetMismatch(state.committed, offset)
            if not data:
                return offset
            with open(self._tail(token, state.tail_base), "r+b") as f:
                truncate_to(f, state.tail_len)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            state.tail_len += len(data)
            self._save(token, state)  # durable from here on, whatever happens to S3 below
            self._feed_hasher(token, offset, data)
            try:
                while state.committed - state.uploaded >= state.part_size:
                    self._ship_part(token, state, state.part_size)
            except (ClientError, BotoCoreError) as e:
                # The bytes are safe in the spool; the next append or the completion ships
                # them, so a storage hiccup does not fail the tablet's upload.
                log.warning("upload %s: part not shipped yet: %s", token, e)
            self._compact_tail(token, state)
            return state.committed

    def _feed_hasher(self, token: str, offset: int, data: bytes) -> None:
        hasher = self._hashers.pop(token, None)
        if hasher is not None and hasher[1] == offset:
            hasher[0].update(data)
            self._hashers[token] = (hasher[0], offset + len(data))

    def _ship_part(self, token: str, state: UploadState, size: int) -> None:
        """Upload the next `size` spooled bytes as a part: the only whole-part buffer in memory.

        If the server dies before the sidecar records it, the same part number is uploaded
        again on resume, and S3 keeps the later copy.
        """
        with open(self._tail(token, state.tail_base), "rb") as f:
            f.seek(state.uploaded - state.tail_base)
            block = f.read(size)
        if len(block) != size:
            raise OSError(f"spool of upload {token} is shorter than its sidecar says")
        checksum = base64.b64encode(hashlib.sha256(block).digest()).decode()
        number = len(state.parts) + 1
        resp = self.store.client.upload_part(
            Bucket=self.store.bucket,
            Key=self.store.s3_key(state.key),
            UploadId=state.upload_id,
            PartNumber=number,
            Body=block,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=checksum,  # S3 refuses a part damaged in transit
        )
        del block
        state.parts.append(_Part(number, str(resp["ETag"]), checksum, size))
        state.uploaded += size
        self._save(token, state)

    def _compact_tail(self, token: str, state: UploadState) -> None:
        """Start a new spool file at the uploaded offset, so the spool never outgrows a part
        plus one append; the sidecar switches files only once the new one is durable."""
        if state.uploaded == state.tail_base:
            return
        old = self._tail(token, state.tail_base)
        new = self._tail(token, state.uploaded)
        with open(old, "rb") as src, open(new, "wb") as dst:
            src.seek(state.uploaded - state.tail_base)
            while block := src.read(HASH_CHUNK):
                dst.write(block)
            dst.truncate(state.committed - state.uploaded)  # anything past the commit is torn
            dst.flush()
            os.fsync(dst.fileno())
        fsync_dir(self.spool_dir)
        state.tail_len = state.committed - state.uploaded
        state.tail_base = state.uploaded
        self._save(token, state)
        old.unlink()

    def committed_offset(self, key: str, token: str) -> int:
        return self.state(key, token).committed

    def complete(self, key: str, token: str) -> ObjectInfo:
        try:
            with self._locked(key, token) as state:
                return self._complete_locked(token, state)
        except UploadMissing:
            return self._finished_after_crash(key, token)

    def _complete_locked(self, token: str, state: UploadState) -> ObjectInfo:
        store, key = self.store, state.key
        if not state.completing:
            state.completing = True  # before the short last part: nothing may follow it
            self._save(token, state)
        while state.committed - state.uploaded > state.part_size:  # left by an S3 outage
            self._ship_part(token, state, state.part_size)
        if state.uploaded < state.committed or not state.parts:
            self._ship_part(token, state, state.committed - state.uploaded)
        self._complete_upload(state)
        etag = store.set_retention(key)
        hasher = self._hashers.pop(token, None)
        if hasher is not None and hasher[1] == state.committed:
            digest = hasher[0].hexdigest()
        else:
            digest = store.hash_object(key)
        info = ObjectInfo(key, state.committed, digest, state.content_type, etag)
        store.write_meta(info)
        self._remove_spool(token)
        return info

    def _complete_upload(self, state: UploadState) -> None:
        store = self.store
        parts = [
            {"PartNumber": p.number, "ETag": p.etag, "ChecksumSHA256": p.sha256_b64}
            for p in state.parts
        ]
        try:
            store.write_once(
                "complete_multipart_upload",
                Bucket=store.bucket,
                Key=store.s3_key(state.key),
                UploadId=state.upload_id,
                MultipartUpload={"Parts": parts},
            )
            return
        except ObjectExists:
            pass
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
        # Either someone else holds the key, or our own earlier attempt completed and died.
        head = store.head(state.key)
        ours = (
            head is not None
            and int(head["ContentLength"]) == state.committed
            and str(head.get("ETag", "")).strip('"').endswith(f"-{len(state.parts)}")
        )
        if not ours:
            raise ObjectExists(state.key)

    def _finished_after_crash(self, key: str, token: str) -> ObjectInfo:
        """A repeated completion whose first run removed the upload answers as that run did
        (keys are made per upload, so the object under the key is this upload's)."""
        info = self.store.stat_now(key)
        if info is None or self._sidecar(token).exists():
            raise _missing(key, token)
        return info

    def _remove_spool(self, token: str) -> None:
        # The sidecar goes first: without it the spool is litter, never a resumable upload.
        self._sidecar(token).unlink(missing_ok=True)
        for p in self.spool_dir.glob(f"{token}.*"):
            p.unlink(missing_ok=True)
        fsync_dir(self.spool_dir)
        self._hashers.pop(token, None)

    def abort(self, key: str, token: str) -> None:
        state = read_struct(self._sidecar(token), UploadState)
        if state is None:
            return
        if state.key != key:
            raise _missing(key, token)
        try:
            self.store.client.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.store.s3_key(key), UploadId=state.upload_id
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
        self._remove_spool(token)
