"""Recording registration: the server re-derives every claim of the manifest before accepting it.

A mismatch refuses the recording (with the failed check's code), keeps the bytes where they
are, and records the refusal and an alert in their own committed transaction.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from backend import errors as p
from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import InvalidRequest, NotFound, ValidationInProgress
from backend.jobs import enqueue_validation
from backend.posts import repo as posts_repo
from backend.recordings import repo
from backend.recordings.manifest import (
    Manifest,
    announcement_payload,
    canonical,
    verify_signature,
)
from backend.recordings.schemas import (
    ChainAnnouncementIn,
    ChainAnnouncementOut,
    Integrity,
    RecordingIn,
    RecordingOut,
    RevalidationOut,
)
from backend.recordings.uploads import may_record
from backend.recordings.verify import recompute_chain
from backend.storage.base import ObjectStore


async def _approved_device(conn: asyncpg.Connection, device_id: str, post_code: str) -> Any:
    device = await repo.device(conn, device_id)
    if device is None or device["post_code"] != post_code:
        raise p.DeviceNotApproved(f"device {device_id} is not registered at this post")
    if device["status"] != "approved":
        raise p.DeviceNotApproved(f"device {device_id} is {device['status']}")
    return device


def _request_hash(data: RecordingIn) -> str:
    return hashlib.sha256(canonical(msgspec.to_builtins(data))).hexdigest()


async def register(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, inspection_id: str,
    data: RecordingIn,
) -> tuple[RecordingOut, bool]:
    inspection = await may_record(conn, actor, inspection_id)
    existing = await repo.by_client_id(conn, data.client_id)
    if existing is not None:
        same = (
            existing["inspection_id"] == inspection_id and existing["phase"] == data.phase
            and existing["upload_id"] == data.upload_id and existing["manifest"] == data.manifest
            and existing["signature"] == data.signature
        )
        if not same:
            raise p.ClientIdConflict(f"client_id {data.client_id} names another recording")
        return repo.to_out(existing), False
    try:
        manifest = msgspec.convert(data.manifest, Manifest)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(f"manifest: {exc}", field="manifest") from exc
    upload = await repo.upload(conn, data.upload_id)
    if upload is None:
        raise p.UploadNotFound(f"upload {data.upload_id} not found")
    if (upload["inspection_id"], upload["phase"], upload["client_id"]) != (
        inspection_id, data.phase, data.client_id
    ):
        raise p.UploadMismatch("the upload was created for another inspection, phase or client_id")
    if upload["state"] != "complete":
        raise p.UploadIncomplete(f"upload {data.upload_id} is {upload['state']}")
    announced = await repo.announcement(conn, data.client_id)
    try:
        integrity = await _verify(conn, store, inspection["post_code"], data, manifest, upload, announced)
    except p.RecordingRefused as refused:
        await _record_refusal(conn, actor, inspection, data, refused)
        raise
    async with conn.transaction():
        row = await repo.insert(
            conn, inspection_id=inspection_id, phase=data.phase, client_id=data.client_id,
            upload_id=data.upload_id, device_id=manifest.device_id, object_key=upload["store_key"],
            mime=manifest.mime, size=manifest.size, sha256=manifest.sha256, manifest=data.manifest,
            signature=data.signature, integrity=integrity, created_by=actor.id,
        )
        await audit.append(
            conn, actor_id=actor.id, action="recording.registered", object_type="recording",
            object_id=row["id"],
            payload={"inspection_id": inspection_id, "phase": data.phase, "version": row["version"],
                     "client_id": data.client_id, "sha256": manifest.sha256,
                     "chain_head": manifest.chain_head, "device_id": manifest.device_id},
        )
        await enqueue_validation(conn, row["id"])
        created = await repo.by_id(conn, row["id"])
    return repo.to_out(created), True


async def _verify(
    conn: asyncpg.Connection, store: ObjectStore, post_code: str, data: RecordingIn,
    manifest: Manifest, upload: Any, announced: Any,
) -> Integrity:
    device = await _approved_device(conn, manifest.device_id, post_code)
    if not verify_signature(device["public_key_jwk"], data.manifest, data.signature):
        raise p.SignatureInvalid("the manifest's signature does not verify under the device key")
    if manifest.size != upload["size"]:
        raise p.SizeMismatch(f"manifest says {manifest.size} bytes, {upload['size']} were stored")
    if [c.i for c in manifest.chunks] != list(range(len(manifest.chunks))):
        raise p.ChunkSizesMismatch("chunks must be numbered 0..n-1 in order")
    total = sum(c.size for c in manifest.chunks)
    if total != upload["size"]:
        raise p.ChunkSizesMismatch(f"chunk sizes add up to {total}, the file has {upload['size']}")
    chain = await recompute_chain(store, upload["store_key"], manifest.chunks, upload["size"])
    for chunk, digest in zip(manifest.chunks, chain.chunk_hashes, strict=True):
        if chunk.sha256 != digest:
            raise p.ChainMismatch(f"chunk {chunk.i} hashes to {digest}, manifest says {chunk.sha256}",
                                  chunk=chunk.i)
    if chain.head != manifest.chain_head:
        raise p.ChainMismatch(f"chain head is {chain.head}, manifest says {manifest.chain_head}")
    if manifest.sha256 != upload["sha256"]:
        raise p.HashMismatch(f"stored bytes hash to {upload['sha256']}")
    announced_ok = None
    if announced is not None:
        announced_ok = (
            announced["chain_head"] == manifest.chain_head
            # the manifest's chunks are a tuple; jsonb hands the announced ones back as a list
            and announced["chunks"] == list(msgspec.to_builtins(manifest.chunks))
            and announced["phase"] == data.phase
        )
        if not announced_ok:
            raise p.AnnouncedChainMismatch("the recording differs from the chain announced earlier")
    # The device clock is judged against the first time the server heard of this recording.
    first_contact = min(
        [upload["created_at"]] + ([announced["announced_at"]] if announced is not None else [])
    )
    skew = (first_contact - manifest.recorded_to).total_seconds()
    return Integrity(
        hash_ok=True, chain_ok=True, signature_ok=True, device_approved=True,
        announced_chain_ok=announced_ok, server_received_at=datetime.now(UTC),
        clock_skew_s=round(skew, 3),
    )


async def _record_refusal(
    conn: asyncpg.Connection, actor: Actor, inspection: Any, data: RecordingIn,
    refused: p.RecordingRefused,
) -> None:
    async with conn.transaction():
        refusal_id = await repo.insert_refusal(
            conn, inspection["id"], data.client_id, data.phase, data.upload_id, refused.code,
            refused.detail, data.manifest, data.signature, _request_hash(data), actor.id,
        )
        await audit.append(
            conn, actor_id=actor.id, action="recording.refused", object_type="inspection",
            object_id=inspection["id"],
            payload={"refusal_id": refusal_id, "client_id": data.client_id, "phase": data.phase,
                     "upload_id": data.upload_id, "code": refused.code, "detail": refused.detail},
        )
        await raise_alert(
            conn, kind="recording_refused", post_code=inspection["post_code"],
            object_type="inspection", object_id=inspection["id"],
            title="Запись отклонена при приёме",
            body=f"Фаза {data.phase}: {refused.title} ({refused.code})",
            dedupe_key=f"recording_refused:{data.client_id}:{refused.code}",
            link=f"/inspections/{inspection['id']}",
        )


async def announce(
    conn: asyncpg.Connection, actor: Actor, inspection_id: str, client_id: str,
    data: ChainAnnouncementIn,
) -> tuple[ChainAnnouncementOut, bool]:
    """The tablet announces the chain (tiny) before the bytes crawl up a weak link."""
    inspection = await may_record(conn, actor, inspection_id)
    chunks = msgspec.to_builtins(data.chunks)
    existing = await repo.announcement(conn, client_id)
    if existing is None:
        if [c.i for c in data.chunks] != list(range(len(data.chunks))):
            raise InvalidRequest("chunks must be numbered 0..n-1 in order", field="chunks")
        device = await _approved_device(conn, data.device_id, inspection["post_code"])
        signed = announcement_payload(inspection_id, client_id, data.phase, data.device_id, chunks,
                                      data.chain_head)
        if not verify_signature(device["public_key_jwk"], signed, data.signature):
            raise p.SignatureInvalid("the announcement's signature does not verify")
        policy = await posts_repo.policy_of_inspection(conn, inspection_id)
        assert policy is not None
        async with conn.transaction():
            row = await repo.insert_announcement(
                conn, client_id, inspection_id, data.phase, data.device_id, chunks,
                data.chain_head, data.signature, actor.id, policy.evidence_deadline_s,
            )
            if row is not None:
                await audit.append(
                    conn, actor_id=actor.id, action="recording.chain_announced",
                    object_type="inspection", object_id=inspection_id,
                    payload={"client_id": client_id, "phase": data.phase,
                             "chain_head": data.chain_head, "chunks": len(chunks),
                             "deadline_at": row["deadline_at"].isoformat()},
                )
                return _announcement_out(row), True
        existing = await repo.announcement(conn, client_id)
    same = (
        existing["inspection_id"] == inspection_id and existing["phase"] == data.phase
        and existing["chain_head"] == data.chain_head and existing["chunks"] == chunks
        and existing["device_id"] == data.device_id
    )
    if not same:
        raise p.AnnouncementConflict(f"client_id {client_id} was announced with another chain")
    return _announcement_out(existing), False


def _announcement_out(row: Any) -> ChainAnnouncementOut:
    return ChainAnnouncementOut(
        client_id=row["client_id"], inspection_id=row["inspection_id"], phase=row["phase"],
        device_id=row["device_id"], chain_head=row["chain_head"], chunks=len(row["chunks"]),
        announced_at=row["announced_at"], deadline_at=row["deadline_at"],
    )


async def load_visible(conn: asyncpg.Connection, actor: Actor, recording_id: str) -> Any:
    row = await repo.by_id(conn, recording_id)
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"recording {recording_id} not found")
    if actor.role == "inspector" and row["inspector_id"] != actor.id:
        raise NotFound(f"recording {recording_id} not found")
    return row


async def record_view(conn: asyncpg.Connection, actor: Actor, recording_id: str) -> None:
    async with conn.transaction():
        if await repo.record_view(conn, recording_id, actor.id):
            await audit.append(
                conn, actor_id=actor.id, action="recording.viewed", object_type="recording",
                object_id=recording_id, payload={},
            )


async def revalidate(
    conn: asyncpg.Connection, actor: Actor, recording_id: str, reason: str
) -> RevalidationOut:
    """Queue a new report version (the earlier ones stay): an admin, or the head of the
    recording's post. Refused while a validation is still pending."""
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidRequest("say why the recording is validated again", field="reason")
    async with conn.transaction():
        row = await repo.lock_for_revalidation(conn, recording_id)
        if row is None or not actor.sees_post(row["post_code"]):
            raise NotFound(f"recording {recording_id} not found")
        if row["state"] in ("received", "validating"):
            raise ValidationInProgress(
                f"recording {recording_id} is {row['state']}; its report is not written yet"
            )
        version = int(row["latest_version"]) + 1
        await repo.mark_revalidating(conn, recording_id)
        await enqueue_validation(conn, recording_id, version, reason, actor.id)
        await audit.append(
            conn, actor_id=actor.id, action="recording.revalidation_requested",
            object_type="recording", object_id=recording_id,
            payload={"reason": reason, "version": version,
                     "previous_version": int(row["latest_version"])},
        )
    return RevalidationOut(
        recording_id=recording_id, version=version, state="validating", reason=reason,
        requested_at=datetime.now(UTC),
    )
