"""What an evidence package holds, loaded from the database: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg

DECISION = """
SELECT rd.decision, rd.decided_at, rd.override, rd.override_reason, rd.comment, rd.gate,
       u.id AS actor_id, u.login AS actor_login, u.name AS actor_name, u.role AS actor_role
FROM release_decisions rd JOIN users u ON u.id = rd.actor_id
WHERE rd.declaration_id = $1
"""


async def decision(conn: asyncpg.Connection, declaration_id: str) -> Any:
    return await conn.fetchrow(DECISION, declaration_id)


# Every version of every phase: a superseded take is evidence too. Rows without stored bytes
# are not recordings anyone made (intake always stores the bytes first).
RECORDINGS = """
SELECT r.id, r.inspection_id, r.phase, r.version, r.client_id, r.upload_id, r.device_id,
       r.object_key, r.mime, r.size, r.sha256, r.manifest, r.signature, r.state, r.integrity,
       r.received_at, r.created_at, r.created_by, v.verdict, v.report
FROM recordings r LEFT JOIN validation_reports v ON v.recording_id = r.id
WHERE r.inspection_id = $1 AND r.object_key IS NOT NULL
ORDER BY r.phase, r.version
"""


async def recordings(conn: asyncpg.Connection, inspection_id: str) -> list[Any]:
    return list(await conn.fetch(RECORDINGS, inspection_id))


UPLOAD_IDS = "SELECT id FROM uploads WHERE inspection_id = $1 ORDER BY created_at"


async def upload_ids(conn: asyncpg.Connection, inspection_id: str) -> list[str]:
    return [r["id"] for r in await conn.fetch(UPLOAD_IDS, inspection_id)]


DEVICES = """
SELECT d.id, d.name, d.post_code, d.status, d.public_key_jwk, d.key_thumbprint,
       d.registered_by, d.approved_by, d.approved_at, d.created_at
FROM devices d WHERE d.id = ANY($1::text[])
ORDER BY d.id
"""


async def devices(conn: asyncpg.Connection, device_ids: list[str]) -> list[Any]:
    return list(await conn.fetch(DEVICES, device_ids))


SCAN_IMAGES = """
SELECT id, image_key, image_mime, image_size, image_sha256 FROM idk_scans
WHERE id = ANY($1::text[]) ORDER BY id
"""


async def scan_images(conn: asyncpg.Connection, scan_ids: list[str]) -> list[Any]:
    return list(await conn.fetch(SCAN_IMAGES, scan_ids))


EVENTS = """
SELECT seq, at, actor_id, action, object_type, object_id, payload, prev_hash, hash
FROM audit_events
WHERE (object_type, object_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY seq
"""


async def events(conn: asyncpg.Connection, objects: list[tuple[str, str]]) -> list[Any]:
    return list(await conn.fetch(EVENTS, [t for t, _ in objects], [i for _, i in objects]))


AUDIT_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"


async def audit_head(conn: asyncpg.Connection) -> Any:
    return await conn.fetchrow(AUDIT_HEAD)
