"""Audit events: appended in the caller's transaction, verified by recomputing the chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from backend.audit.chain import GENESIS, canonical_event, link

# Appends are serialised so the chain never forks; the lock is released at commit/rollback,
# so a rolled-back transaction leaves no event and no gap.
AUDIT_LOCK_KEY = 0x0D05_A0D1

LAST_EVENT = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"

INSERT_EVENT = """
INSERT INTO audit_events (seq, at, actor_id, action, object_type, object_id, payload, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


# Every committed change at a post is announced on this channel (NOTIFY is delivered at commit,
# never for a rollback), so live boards in any API process refresh without polling.
BOARD_CHANNEL = "dosmotr_board"
# Objects that belong to a post; their post is looked up in the same statement as the NOTIFY.
POST_OBJECTS = frozenset({"declaration", "inspection", "recording", "upload", "idk_scan", "device"})

NOTIFY_CHANGE = """
SELECT pg_notify($6::text, json_build_object(
         'post_code', p.code, 'object_type', $1::text, 'object_id', $2::text,
         'action', $3::text, 'seq', $4::bigint)::text)
FROM (SELECT coalesce($5::text, CASE $1::text
        WHEN 'declaration' THEN (SELECT post_code FROM declarations WHERE id = $2)
        WHEN 'inspection' THEN (SELECT post_code FROM inspections WHERE id = $2)
        WHEN 'recording' THEN (SELECT i.post_code FROM recordings r
                               JOIN inspections i ON i.id = r.inspection_id WHERE r.id = $2)
        WHEN 'upload' THEN (SELECT i.post_code FROM uploads u
                            JOIN inspections i ON i.id = u.inspection_id WHERE u.id = $2)
        WHEN 'idk_scan' THEN (SELECT post_code FROM idk_scans WHERE id = $2)
        WHEN 'device' THEN (SELECT post_code FROM devices WHERE id = $2)
      END) AS code) p
WHERE p.code IS NOT NULL
"""


def _plain(payload: Any) -> Any:
    # Through JSON and back: what is hashed is exactly what jsonb will hand back later.
    return msgspec.json.decode(msgspec.json.encode(payload))


async def append(
    conn: asyncpg.Connection,
    *,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
    post_code: str | None = None,
) -> int:
    """Append one event inside the caller's transaction; returns its sequence number.

    Changes to a post's objects are also announced on BOARD_CHANNEL (`post_code`, if the
    caller knows it, saves the lookup)."""
    if not conn.is_in_transaction():
        raise RuntimeError("audit.append must run inside the transaction of the change it records")
    await conn.execute("SELECT pg_advisory_xact_lock($1)", AUDIT_LOCK_KEY)
    last = await conn.fetchrow(LAST_EVENT)
    seq, prev = (last["seq"] + 1, bytes(last["hash"])) if last else (1, GENESIS)
    at = datetime.now(UTC)
    body = _plain(payload)
    digest = link(prev, canonical_event(seq, at, actor_id, action, object_type, object_id, body))
    await conn.execute(
        INSERT_EVENT, seq, at, actor_id, action, object_type, object_id, body, prev, digest
    )
    if post_code is not None or object_type in POST_OBJECTS:
        await conn.execute(
            NOTIFY_CHANGE, object_type, object_id, action, seq, post_code, BOARD_CHANNEL
        )
    return int(seq)


class AuditEvent(msgspec.Struct, frozen=True):
    seq: int
    at: datetime
    actor_id: str | None
    action: str
    object_type: str
    object_id: str
    payload: Any
    prev_hash: str
    hash: str
    # Who the actor is, for readers; not part of the hashed event (users can be renamed).
    actor_login: str | None = None
    actor_name: str | None = None


LIST_EVENTS = """
SELECT e.seq, e.at, e.actor_id, e.action, e.object_type, e.object_id, e.payload, e.prev_hash,
       e.hash, u.login AS actor_login, u.name AS actor_name
FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
WHERE ($1::text IS NULL OR e.object_type = $1) AND ($2::text IS NULL OR e.object_id = $2)
  AND e.seq > $3
ORDER BY e.seq
LIMIT $4
"""


async def list_events(
    conn: asyncpg.Connection,
    object_type: str | None,
    object_id: str | None,
    after: int = 0,
    limit: int = 500,
) -> list[AuditEvent]:
    rows = await conn.fetch(LIST_EVENTS, object_type, object_id, after, limit)
    return [
        AuditEvent(
            seq=r["seq"],
            at=r["at"],
            actor_id=r["actor_id"],
            action=r["action"],
            object_type=r["object_type"],
            object_id=r["object_id"],
            payload=r["payload"],
            prev_hash=bytes(r["prev_hash"]).hex(),
            hash=bytes(r["hash"]).hex(),
            actor_login=r["actor_login"],
            actor_name=r["actor_name"],
        )
        for r in rows
    ]


class ChainReport(msgspec.Struct, frozen=True):
    ok: bool
    length: int
    head: str | None
    first_bad: int | None = None
    reason: str | None = None


CHAIN_PAGE = """
SELECT seq, at, actor_id, action, object_type, object_id, payload, prev_hash, hash
FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2
"""


async def verify_chain(conn: asyncpg.Connection, page: int = 2000) -> ChainReport:
    """Recompute every link; name the first row whose stored or recomputed hash disagrees.

    A deleted row shows as a sequence gap at the row after it (its prev_hash no longer
    points at the row before); an edited row shows at itself.
    """
    prev, expected_seq, after, length, head = GENESIS, 1, 0, 0, None
    while True:
        rows = await conn.fetch(CHAIN_PAGE, after, page)
        if not rows:
            break
        for r in rows:
            seq = r["seq"]
            if seq != expected_seq:
                return ChainReport(False, length, head, expected_seq, "missing event(s)")
            if bytes(r["prev_hash"]) != prev:
                return ChainReport(False, length, head, seq, "prev_hash does not link")
            canonical = canonical_event(
                seq, r["at"], r["actor_id"], r["action"], r["object_type"], r["object_id"],
                r["payload"],
            )
            digest = link(prev, canonical)
            if digest != bytes(r["hash"]):
                return ChainReport(False, length, head, seq, "hash does not match content")
            prev, expected_seq, length, head = digest, seq + 1, length + 1, digest.hex()
            after = seq
    return ChainReport(True, length, head)
