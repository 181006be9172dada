"""Resumable uploads (tus): the server's committed offset is the truth.

PATCH bodies are streamed into the object store in bounded batches; a PATCH holds no database
connection while its body crawls in. Concurrent PATCHes on one upload are serialised by a
per-upload lock here and, across processes, by the store refusing an append at a stale offset.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakValueDictionary

import asyncpg
import msgspec

from backend import errors as p
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import Forbidden, InvalidRequest, InvalidState, NotFound
from backend.inspections import repo as inspections_repo
from backend.posts import repo as posts_repo
from backend.posts.policy import PHASES
from backend.storage.base import ObjectStore, OffsetMismatch

UPLOAD_TTL = timedelta(hours=48)
APPEND_BATCH = 4 << 20  # bytes buffered before each durable append
MAX_CHECKSUM_PATCH = 64 << 20  # a checksummed PATCH is verified before any byte is kept
CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
EXTENSIONS = {"video/webm": "webm", "video/mp4": "mp4", "video/quicktime": "mov",
              "video/x-matroska": "mkv"}

_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()


def _lock_for(upload_id: str) -> asyncio.Lock:
    lock = _locks.get(upload_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[upload_id] = lock
    return lock


class Upload(msgspec.Struct, frozen=True):
    id: str
    inspection_id: str
    phase: str
    client_id: str
    filetype: str
    length: int | None
    store_key: str
    store_token: str
    state: str
    size: int | None
    sha256: str | None
    created_by: str
    expires_at: datetime
    post_code: str


async def may_record(conn: asyncpg.Connection, actor: Actor, inspection_id: str) -> Any:
    """Only the assigned inspector of an in-progress inspection (or the post's head) records."""
    row = await inspections_repo.by_id(conn, inspection_id)
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"inspection {inspection_id} not found")
    if actor.role == "inspector":
        if row["inspector_id"] != actor.id:
            raise NotFound(f"inspection {inspection_id} not found")
    elif not (actor.role == "post_head" and actor.post_code == row["post_code"]):
        raise Forbidden("only the assigned inspector or the post head records evidence")
    if row["status"] not in ("in_progress", "finished"):
        raise InvalidState(f"inspection is {row['status']}: start it before recording")
    return row


INSERT_UPLOAD = """
INSERT INTO uploads (id, inspection_id, phase, client_id, filetype, metadata, length, store_key,
                     store_token, created_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""


async def create(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, length: int | None,
    metadata: dict[str, str],
) -> Upload:
    missing = [k for k in ("inspection_id", "phase", "client_id", "filetype") if not metadata.get(k)]
    if missing:
        raise InvalidRequest("Upload-Metadata lacks " + ", ".join(missing), missing=missing)
    phase, client_id = metadata["phase"], metadata["client_id"]
    if phase not in PHASES:
        raise InvalidRequest(f"unknown phase {phase!r}", field="phase")
    if not CLIENT_ID.match(client_id):
        raise InvalidRequest("client_id must be 8-64 letters, digits, '-' or '_'", field="client_id")
    filetype = metadata["filetype"].split(";")[0].strip().lower()
    if not filetype.startswith("video/"):
        raise InvalidRequest("filetype must be a video type", field="filetype")
    inspection = await may_record(conn, actor, metadata["inspection_id"])
    policy = await posts_repo.policy_of_inspection(conn, inspection["id"])
    assert policy is not None
    if length is not None:
        if length == 0:
            raise p.EmptyUpload()
        if length > policy.max_recording_bytes:
            raise p.UploadTooLarge(
                f"{length} bytes exceed the post's limit of {policy.max_recording_bytes}",
                max_size=policy.max_recording_bytes,
            )
    upload_id = secrets.token_hex(16)
    ext = EXTENSIONS.get(filetype, "bin")
    key = f"recordings/{inspection['id']}/{phase}/{client_id}/{upload_id}.{ext}"
    token = await store.begin_append(key, metadata["filetype"])
    expires_at = datetime.now(UTC) + UPLOAD_TTL
    async with conn.transaction():
        await conn.execute(
            INSERT_UPLOAD, upload_id, inspection["id"], phase, client_id, metadata["filetype"],
            metadata, length, key, token, actor.id, expires_at,
        )
        await audit.append(
            conn, actor_id=actor.id, action="upload.created", object_type="upload",
            object_id=upload_id,
            payload={"inspection_id": inspection["id"], "phase": phase, "client_id": client_id,
                     "length": length},
        )
    return Upload(
        id=upload_id, inspection_id=inspection["id"], phase=phase, client_id=client_id,
        filetype=metadata["filetype"], length=length, store_key=key, store_token=token,
        state="open", size=None, sha256=None, created_by=actor.id, expires_at=expires_at,
        post_code=inspection["post_code"],
    )


UPLOAD_BY_ID = """
SELECT u.id, u.inspection_id, u.phase, u.client_id, u.filetype, u.length, u.store_key,
       u.store_token, u.state, u.size, u.sha256, u.created_by, u.expires_at, i.post_code
FROM uploads u JOIN inspections i ON i.id = u.inspection_id
WHERE u.id = $1
"""


async def load(conn: asyncpg.Connection | asyncpg.Pool, actor: Actor, upload_id: str) -> Upload:
    row = await conn.fetchrow(UPLOAD_BY_ID, upload_id)
    if row is None:
        raise p.UploadNotFound(f"upload {upload_id} not found")
    mine = row["created_by"] == actor.id
    heads_post = actor.role == "post_head" and actor.post_code == row["post_code"]
    if not (mine or heads_post):
        raise p.UploadNotFound(f"upload {upload_id} not found")
    upload = Upload(**dict(row))
    if upload.state == "expired" or (
        upload.state == "open" and upload.expires_at <= datetime.now(UTC)
    ):
        raise p.UploadExpired(f"upload {upload_id} expired at {upload.expires_at.isoformat()}")
    return upload


async def offset_of(store: ObjectStore, upload: Upload) -> int:
    if upload.state == "complete":
        return int(upload.size or 0)
    return await store.committed_offset(upload.store_key, upload.store_token)


SET_LENGTH = "UPDATE uploads SET length = $2 WHERE id = $1 AND length IS NULL"

COMPLETE = """
UPDATE uploads SET state = 'complete', size = $2, sha256 = $3, completed_at = now()
WHERE id = $1 AND state = 'open'
"""


async def _complete(pool: asyncpg.Pool, store: ObjectStore, upload: Upload, actor: Actor) -> None:
    info = await store.complete_append(upload.store_key, upload.store_token)
    async with pool.acquire() as conn, conn.transaction():
        status = await conn.execute(COMPLETE, upload.id, info.size, info.sha256)
        if status.endswith(" 1"):
            await audit.append(
                conn, actor_id=actor.id, action="upload.completed", object_type="upload",
                object_id=upload.id, payload={"size": info.size, "sha256": info.sha256},
            )


async def patch(
    pool: asyncpg.Pool,
    store: ObjectStore,
    actor: Actor,
    upload_id: str,
    *,
    offset: int,
    body: AsyncIterator[bytes],
    content_length: int | None,
    checksum: bytes | None,
    upload_length: int | None,
) -> int:
    """Append a PATCH body at `offset`; returns the new committed offset."""
    async with pool.acquire() as conn:
        upload = await load(conn, actor, upload_id)
        if upload_length is not None:
            if upload.length is None:
                policy = await posts_repo.policy_of_inspection(conn, upload.inspection_id)
                assert policy is not None
                if upload_length > policy.max_recording_bytes:
                    raise p.UploadTooLarge(max_size=policy.max_recording_bytes)
                if upload_length == 0:
                    raise p.EmptyUpload()
                await conn.execute(SET_LENGTH, upload_id, upload_length)
                upload = msgspec.structs.replace(upload, length=upload_length)
            elif upload.length != upload_length:
                raise p.UploadLengthConflict(f"Upload-Length is {upload.length}")
    async with _lock_for(upload_id):
        committed = await offset_of(store, upload)
        if offset != committed:
            raise p.OffsetConflict(f"the server's offset is {committed}", offset=committed)
        if upload.state == "complete":
            return committed
        room = None if upload.length is None else upload.length - committed
        if room is not None and content_length is not None and content_length > room:
            raise p.UploadLengthExceeded(f"{content_length} bytes sent, {room} remain")
        if checksum is not None:
            if content_length is not None and content_length > MAX_CHECKSUM_PATCH:
                raise p.UploadTooLarge("a checksummed PATCH may carry at most 64 MiB")
            committed = await _append_checked(store, upload, committed, body, checksum, room)
        else:
            committed = await _append_streamed(store, upload, committed, body, room)
        if upload.length is not None and committed == upload.length:
            await _complete(pool, store, upload, actor)
    return committed


async def _append(store: ObjectStore, upload: Upload, offset: int, data: bytes) -> int:
    try:
        return await store.append(upload.store_key, upload.store_token, offset, data)
    except OffsetMismatch as exc:
        raise p.OffsetConflict(f"the server's offset is {exc.committed}", offset=exc.committed) from exc


async def _append_checked(
    store: ObjectStore, upload: Upload, offset: int, body: AsyncIterator[bytes], digest: bytes,
    room: int | None,
) -> int:
    buf = bytearray()
    async for piece in body:
        buf += piece
        if len(buf) > MAX_CHECKSUM_PATCH:
            raise p.UploadTooLarge("a checksummed PATCH may carry at most 64 MiB")
        if room is not None and len(buf) > room:
            raise p.UploadLengthExceeded(f"more than the {room} bytes that remain")
    if hashlib.sha256(buf).digest() != digest:
        raise p.ChecksumMismatch("sha256 of the body differs from Upload-Checksum; nothing kept")
    if not buf:
        return offset
    return await _append(store, upload, offset, bytes(buf))


async def _append_streamed(
    store: ObjectStore, upload: Upload, offset: int, body: AsyncIterator[bytes], room: int | None
) -> int:
    """Keep every byte that arrived, even if the client goes away mid-body (tus allows it).

    One durable append is in flight while the next batch is read from the socket, so the
    network and the disk (fsync) work at the same time; appends stay strictly sequential.
    """
    buf = bytearray()
    pending: asyncio.Task[int] | None = None
    expected = offset  # where the next append starts once the pending one lands
    limit = None if room is None else offset + room
    try:
        async for piece in body:
            if limit is not None and expected + len(buf) + len(piece) > limit:
                raise p.UploadLengthExceeded(f"more than the {room} bytes that remain")
            buf += piece
            if len(buf) >= APPEND_BATCH:
                if pending is not None:
                    offset = await pending
                data = bytes(buf)
                buf.clear()
                pending = asyncio.create_task(_append(store, upload, expected, data))
                expected += len(data)
    except p.UploadLengthExceeded:
        if pending is not None:
            await pending
        raise
    except Exception:
        if pending is not None:
            offset = await pending
        if buf:
            offset = await _append(store, upload, expected, bytes(buf))
        raise
    if pending is not None:
        offset = await pending
    if buf:
        offset = await _append(store, upload, expected, bytes(buf))
    return offset
