"""S3 (MinIO, AWS, Ceph) as the object store, through boto3 off the event loop.

Whole objects carry their SHA-256 in their own metadata. A multipart object's hash is unknown
when its metadata is fixed (at creation), so it lives in a companion object
`<prefix>/.meta/<key>.json`, written once and locked like the object. Resumable uploads are in
s3_uploads.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import msgspec
from botocore.config import Config
from botocore.exceptions import ClientError

from backend.storage.base import ObjectExists, ObjectInfo, ObjectMissing, validate_key
from backend.storage.durable import HASH_CHUNK
from backend.storage.s3_uploads import S3Uploads

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 << 20
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _status(e: ClientError) -> str:
    return str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _etag(resp: dict[str, Any]) -> str | None:
    return str(resp.get("ETag", "")).strip('"') or None


class S3ObjectStore:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        spool_dir: Path,
        *,
        part_size: int = 8 << 20,
        retention_days: int = 1825,
        client: Any = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size
        self.retention_days = retention_days
        self.spool_dir = Path(spool_dir).absolute()
        if client is None:
            # boto3 reads AWS_ENDPOINT_URL itself; self-hosted endpoints (MinIO) rarely have
            # the wildcard DNS that virtual-host bucket addressing needs.
            custom = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            client = boto3.client(
                "s3",
                config=Config(
                    s3={"addressing_style": "path" if custom else "auto"},
                    retries={"mode": "standard"},
                ),
            )
        self.client = client
        self._lock_enabled: bool | None = None
        self.conditional_writes = True  # until the server says it cannot do If-None-Match
        self.uploads = S3Uploads(self, self.spool_dir, part_size)

    def __repr__(self) -> str:
        return f"S3ObjectStore(s3://{self.bucket}/{self.prefix})"

    def s3_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _meta_key(self, key: str) -> str:
        # Keys never start a segment with a dot, so '.meta/' cannot collide with an object.
        meta = f".meta/{validate_key(key)}.json"
        return f"{self.prefix}/{meta}" if self.prefix else meta

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    # bucket facts and write-once primitives (blocking; also used by S3Uploads)

    def lock_enabled(self) -> bool:
        """Whether the bucket has object lock; asked once per store, as it cannot be undone."""
        if self._lock_enabled is None:
            try:
                conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = conf["ObjectLockConfiguration"].get("ObjectLockEnabled") == "Enabled"
            except ClientError as e:
                if _code(e) != "ObjectLockConfigurationNotFoundError":
                    log.warning("cannot read object lock of %s: %s", self.bucket, e)
                enabled = False
            self._lock_enabled = enabled
        return self._lock_enabled

    def retention(self) -> dict[str, Any]:
        """Object-lock arguments for a write: COMPLIANCE mode, which not even the bucket owner
        can shorten, for `retention_days` from now."""
        if self.retention_days <= 0 or not self.lock_enabled():
            return {}
        until = datetime.now(UTC) + timedelta(days=self.retention_days)
        return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}

    def set_retention(self, key: str) -> str | None:
        """Lock a finished multipart object from now on; returns its ETag."""
        if lock := self.retention():
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=self.s3_key(key),
                Retention={
                    "Mode": lock["ObjectLockMode"],
                    "RetainUntilDate": lock["ObjectLockRetainUntilDate"],
                },
            )
        head = self.head(key)
        if head is None:
            raise ObjectMissing(key)
        return _etag(head)

    def write_once(self, op: str, **kwargs: Any) -> dict[str, Any]:
        """put_object / complete_multipart_upload that never replaces an existing object.

        If-None-Match makes the refusal atomic; servers without it (older MinIO, Ceph) get a
        HEAD before the call instead. On a versioned, locked bucket a lost race there still
        keeps the earlier version.
        """
        fn: Callable[..., dict[str, Any]] = getattr(self.client, op)
        if self.conditional_writes:
            try:
                return fn(IfNoneMatch="*", **kwargs)
            except ClientError as e:
                if _code(e) in ("PreconditionFailed", "412") or _status(e) == "412":
                    raise ObjectExists(kwargs["Key"]) from None
                if _code(e) != "NotImplemented" and _status(e) != "501":
                    raise
                log.warning("%s ignores If-None-Match; falling back to HEAD checks", self.bucket)
                self.conditional_writes = False
        try:
            self.client.head_object(Bucket=self.bucket, Key=kwargs["Key"])
        except ClientError as e:
            if _code(e) not in _MISSING:
                raise
            return fn(**kwargs)
        raise ObjectExists(kwargs["Key"])

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.s3_key(key))
            return head
        except ClientError as e:
            if _code(e) in _MISSING:
                return None
            raise

    def _body(self, key: str, byte_range: str | None = None) -> Any:
        extra = {"Range": byte_range} if byte_range else {}
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self.s3_key(key), **extra)
        except ClientError as e:
            if _code(e) in _MISSING:
                raise ObjectMissing(key) from None
            if _code(e) == "InvalidRange":
                raise ValueError(f"range {byte_range} is past the end of {key}") from None
            raise
        return resp["Body"]

    def hash_object(self, key: str) -> str:
        h = hashlib.sha256()
        with closing(self._body(key)) as body:
            for block in body.iter_chunks(HASH_CHUNK):
                h.update(block)
        return h.hexdigest()

    def write_meta(self, info: ObjectInfo) -> None:
        raw = msgspec.json.encode(info)
        try:
            self.write_once(
                "put_object",
                Bucket=self.bucket,
                Key=self._meta_key(info.key),
                Body=raw,
                ContentType="application/json",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_sha256_b64(raw),
                **self.retention(),
            )
        except ObjectExists:
            pass  # written by an earlier attempt at the same completion

    def _read_meta(self, key: str) -> ObjectInfo | None:
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self._meta_key(key))
        except ClientError as e:
            if _code(e) in _MISSING:
                return None
            raise
        with closing(resp["Body"]) as body:
            return msgspec.json.decode(body.read(), type=ObjectInfo)

    def stat_now(self, key: str) -> ObjectInfo | None:
        head = self.head(key)
        if head is None:
            return None
        size = int(head["ContentLength"])
        ctype = str(head.get("ContentType") or "application/octet-stream")
        digest = head.get("Metadata", {}).get("sha256")
        if digest is None:
            meta = self._read_meta(key)
            if meta is not None:
                digest = meta.sha256
            else:
                # The uploader died between completing the object and writing its hash.
                digest = self.hash_object(key)
                self.write_meta(ObjectInfo(key, size, digest, ctype, _etag(head)))
        return ObjectInfo(key, size, digest, ctype, _etag(head))

    def _put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        if self.head(key) is not None:
            raise ObjectExists(key)
        digest = hashlib.sha256(data).hexdigest()
        resp = self.write_once(
            "put_object",
            Bucket=self.bucket,
            Key=self.s3_key(key),
            Body=data,
            ContentType=content_type,
            Metadata={"sha256": digest},
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=_sha256_b64(data),  # the server refuses a body damaged in transit
            **self.retention(),
        )
        return ObjectInfo(key, len(data), digest, content_type, _etag(resp))

    # the ObjectStore protocol

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        validate_key(key)
        return await asyncio.to_thread(self._put_bytes, key, data, content_type)

    async def stat(self, key: str) -> ObjectInfo | None:
        validate_key(key)
        return await asyncio.to_thread(self.stat_now, key)

    async def get_bytes(self, key: str) -> bytes:
        validate_key(key)

        def read() -> bytes:
            with closing(self._body(key)) as body:
                return bytes(body.read())

        return await asyncio.to_thread(read)

    async def read_range(
        self, key: str, start: int, end_inclusive: int, chunk: int = 1 << 20
    ) -> AsyncIterator[bytes]:
        validate_key(key)
        if start < 0 or end_inclusive < start:
            raise ValueError(f"bad byte range {start}-{end_inclusive}")
        # S3 clamps the end and answers 416 for a start past the end, as the contract wants.
        body = await asyncio.to_thread(self._body, key, f"bytes={start}-{end_inclusive}")
        try:
            while block := await asyncio.to_thread(body.read, chunk):
                yield block
        finally:
            body.close()

    async def presigned_get(self, key: str, expires_s: int = 300) -> str | None:
        params = {"Bucket": self.bucket, "Key": self.s3_key(key)}
        return await asyncio.to_thread(
            self.client.generate_presigned_url, "get_object", Params=params, ExpiresIn=expires_s
        )

    async def download_to(self, key: str, dest: Path) -> None:
        validate_key(key)

        def copy() -> None:
            with closing(self._body(key)) as body, open(dest, "wb") as f:
                f.writelines(body.iter_chunks(HASH_CHUNK))

        await asyncio.to_thread(copy)

    async def begin_append(self, key: str, content_type: str) -> str:
        validate_key(key)
        return await asyncio.to_thread(self.uploads.begin, key, content_type)

    async def append(self, key: str, token: str, offset: int, data: bytes) -> int:
        validate_key(key)
        return await asyncio.to_thread(self.uploads.append, key, token, offset, data)

    async def committed_offset(self, key: str, token: str) -> int:
        validate_key(key)
        return await asyncio.to_thread(self.uploads.committed_offset, key, token)

    async def complete_append(self, key: str, token: str) -> ObjectInfo:
        validate_key(key)
        return await asyncio.to_thread(self.uploads.complete, key, token)

    async def abort_append(self, key: str, token: str) -> None:
        validate_key(key)
        await asyncio.to_thread(self.uploads.abort, key, token)
