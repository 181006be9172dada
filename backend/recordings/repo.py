"""Recordings, announcements, refusals and views: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.recordings.schemas import Integrity, RecordingOut

RECORDING_COLUMNS = """r.id, r.inspection_id, r.phase, r.version, r.client_id, r.upload_id,
r.device_id, r.mime, r.size, r.sha256, r.manifest, r.signature, r.state, r.integrity,
r.received_at, r.created_at, r.object_key, i.post_code, i.inspector_id,
v.report || jsonb_build_object('version', v.version) AS validation"""

RECORDING_BY = f"""
SELECT {RECORDING_COLUMNS}
FROM recordings r JOIN inspections i ON i.id = r.inspection_id
LEFT JOIN validation_reports v ON v.recording_id = r.id
"""


def to_out(r: Any) -> RecordingOut:
    integrity = msgspec.convert(r["integrity"], Integrity) if r["integrity"] else None
    return RecordingOut(
        id=r["id"], inspection_id=r["inspection_id"], phase=r["phase"], version=r["version"],
        client_id=r["client_id"], upload_id=r["upload_id"], device_id=r["device_id"],
        mime=r["mime"], size=r["size"], sha256=r["sha256"], manifest=r["manifest"],
        signature=r["signature"], state=r["state"], integrity=integrity,
        validation=r["validation"], received_at=r["received_at"], created_at=r["created_at"],
    )


async def by_id(conn: asyncpg.Connection, recording_id: str) -> Any:
    return await conn.fetchrow(RECORDING_BY + " WHERE r.id = $1", recording_id)


async def by_client_id(conn: asyncpg.Connection, client_id: str) -> Any:
    return await conn.fetchrow(RECORDING_BY + " WHERE r.client_id = $1", client_id)


INSERT_RECORDING = """
INSERT INTO recordings (inspection_id, phase, version, client_id, upload_id, device_id, object_key,
                        mime, size, sha256, manifest, signature, state, integrity, created_by)
VALUES ($1, $2,
        (SELECT coalesce(max(version), 0) + 1 FROM recordings WHERE inspection_id = $1 AND phase = $2),
        $3, $4, $5, $6, $7, $8, $9, $10, $11, 'received', $12, $13)
RETURNING id, version
"""


async def insert(
    conn: asyncpg.Connection, *, inspection_id: str, phase: str, client_id: str, upload_id: str,
    device_id: str, object_key: str, mime: str, size: int, sha256: str, manifest: dict[str, Any],
    signature: str, integrity: Integrity, created_by: str,
) -> Any:
    return await conn.fetchrow(
        INSERT_RECORDING, inspection_id, phase, client_id, upload_id, device_id, object_key, mime,
        size, sha256, manifest, signature, msgspec.to_builtins(integrity), created_by,
    )


ANNOUNCEMENT = "SELECT * FROM chain_announcements WHERE client_id = $1"


async def announcement(conn: asyncpg.Connection, client_id: str) -> Any:
    return await conn.fetchrow(ANNOUNCEMENT, client_id)


INSERT_ANNOUNCEMENT = """
INSERT INTO chain_announcements (client_id, inspection_id, phase, device_id, chunks, chain_head,
                                 signature, announced_by, deadline_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
ON CONFLICT (client_id) DO NOTHING
RETURNING *
"""


async def insert_announcement(
    conn: asyncpg.Connection, client_id: str, inspection_id: str, phase: str, device_id: str,
    chunks: list[Any], chain_head: str, signature: str, actor_id: str, deadline_s: float,
) -> Any:
    return await conn.fetchrow(
        INSERT_ANNOUNCEMENT, client_id, inspection_id, phase, device_id, chunks, chain_head,
        signature, actor_id, float(deadline_s),
    )


INSERT_REFUSAL = """
INSERT INTO refused_recordings (inspection_id, client_id, phase, upload_id, code, detail, manifest,
                                signature, request_hash, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id
"""


async def insert_refusal(
    conn: asyncpg.Connection, inspection_id: str, client_id: str, phase: str, upload_id: str,
    code: str, detail: str, manifest: dict[str, Any], signature: str, request_hash: str,
    actor_id: str,
) -> str:
    return str(await conn.fetchval(
        INSERT_REFUSAL, inspection_id, client_id, phase, upload_id, code, detail, manifest,
        signature, request_hash, actor_id,
    ))


LAST_REFUSAL = """
SELECT code, detail, request_hash FROM refused_recordings
WHERE client_id = $1 ORDER BY created_at DESC LIMIT 1
"""


async def last_refusal(conn: asyncpg.Connection, client_id: str) -> Any:
    return await conn.fetchrow(LAST_REFUSAL, client_id)


RECORD_VIEW = """
INSERT INTO recording_views (recording_id, user_id, minute)
VALUES ($1, $2, date_trunc('minute', now()))
ON CONFLICT DO NOTHING
RETURNING minute
"""


async def record_view(conn: asyncpg.Connection, recording_id: str, user_id: str) -> bool:
    """True when this is the viewer's first view of the recording in this minute."""
    return await conn.fetchval(RECORD_VIEW, recording_id, user_id) is not None


RENDITION = """
SELECT object_key, content_type, size, sha256 FROM renditions WHERE recording_id = $1 AND kind = $2
"""


async def rendition(conn: asyncpg.Connection, recording_id: str, kind: str) -> Any:
    return await conn.fetchrow(RENDITION, recording_id, kind)


LOCK_FOR_REVALIDATION = """
SELECT r.id, r.state, i.post_code, i.inspector_id,
       (SELECT coalesce(max(v.version), 0) FROM validation_report_versions v
        WHERE v.recording_id = r.id) AS latest_version
FROM recordings r JOIN inspections i ON i.id = r.inspection_id
WHERE r.id = $1
FOR UPDATE OF r
"""


async def lock_for_revalidation(conn: asyncpg.Connection, recording_id: str) -> Any:
    """The recording row, locked, with its latest report version (0: none yet)."""
    return await conn.fetchrow(LOCK_FOR_REVALIDATION, recording_id)


MARK_REVALIDATING = "UPDATE recordings SET state = 'validating' WHERE id = $1"


async def mark_revalidating(conn: asyncpg.Connection, recording_id: str) -> None:
    await conn.execute(MARK_REVALIDATING, recording_id)


DEVICE = "SELECT id, post_code, status, public_key_jwk FROM devices WHERE id = $1"


async def device(conn: asyncpg.Connection, device_id: str) -> Any:
    """The signing device a recording names (its post, status and public key)."""
    return await conn.fetchrow(DEVICE, device_id)


UPLOAD = """
SELECT id, inspection_id, phase, client_id, state, size, sha256, store_key, filetype, created_at
FROM uploads WHERE id = $1
"""


async def upload(conn: asyncpg.Connection, upload_id: str) -> Any:
    return await conn.fetchrow(UPLOAD, upload_id)
