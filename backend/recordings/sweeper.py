"""Periodic housekeeping of intake: expire abandoned uploads, flag announced-but-missing evidence,
flag uploads that stopped moving, and verify the audit chain now and then.

Safe to run from every API process at once: a try-lock lets one sweep at a time, and each
step is idempotent (state transitions guarded in SQL, alerts deduplicated).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.audit.watch import VERIFY_EVERY, watch_chain
from backend.storage.base import ObjectMissing, ObjectStore

log = logging.getLogger("dosmotr.sweeper")

SWEEP_LOCK_KEY = 0x0D05_5EE9

EXPIRED_UPLOADS = """
SELECT u.id, u.store_key, u.store_token, u.inspection_id, i.post_code
FROM uploads u JOIN inspections i ON i.id = u.inspection_id
WHERE u.state = 'open' AND u.expires_at <= now()
ORDER BY u.expires_at
LIMIT 100
"""

MARK_EXPIRED = "UPDATE uploads SET state = 'expired' WHERE id = $1 AND state = 'open'"

MISSING_EVIDENCE = """
SELECT a.client_id, a.inspection_id, a.phase, a.deadline_at, i.post_code
FROM chain_announcements a JOIN inspections i ON i.id = a.inspection_id
WHERE a.deadline_at <= now()
  AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.client_id = a.client_id)
  AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.dedupe_key = 'missing_evidence:' || a.client_id)
LIMIT 100
"""


# An open upload whose committed offset has not moved for this long is stalled. Only uploads
# last seen moving at least this long ago are asked about, so the store is asked about each
# upload at most once per period.
STALL_AFTER = timedelta(minutes=15)

STALL_CANDIDATES = """
SELECT u.id, u.store_key, u.store_token, u.inspection_id, u.phase, i.post_code,
       p.committed, p.since
FROM uploads u JOIN inspections i ON i.id = u.inspection_id
LEFT JOIN upload_progress p ON p.upload_id = u.id
WHERE u.state = 'open' AND u.expires_at > now()
  AND (p.upload_id IS NULL OR p.since <= now() - $1::interval)
ORDER BY p.since NULLS FIRST
LIMIT 200
"""

SAW_OFFSET = """
INSERT INTO upload_progress (upload_id, committed) VALUES ($1, $2)
ON CONFLICT (upload_id) DO UPDATE SET committed = EXCLUDED.committed, since = now()
"""


@dataclass
class SweepResult:
    expired_uploads: int = 0
    missing_evidence: int = 0
    stalled_uploads: int = 0
    chain_broken: bool = False
    skipped: bool = False


async def _stalled_uploads(
    conn: asyncpg.Connection, store: ObjectStore, stall_after: timedelta
) -> int:
    alerted = 0
    for row in await conn.fetch(STALL_CANDIDATES, stall_after):
        try:
            offset = await store.committed_offset(row["store_key"], row["store_token"])
        except ObjectMissing:
            continue  # completed or aborted since the query: not stalled
        if row["committed"] is None or row["committed"] != offset:
            await conn.execute(SAW_OFFSET, row["id"], offset)
            continue
        async with conn.transaction():
            # One alert per stall: an upload that moves again and stops again alerts again.
            alert_id = await raise_alert(
                conn, kind="upload_stalled", post_code=row["post_code"],
                object_type="inspection", object_id=row["inspection_id"],
                title="Загрузка записи остановилась",
                body=f"Фаза {row['phase']}: загрузка стоит на {offset} байт "
                f"с {row['since']:%H:%M} UTC.",
                dedupe_key=f"upload_stalled:{row['id']}:{offset}",
                link=f"/inspections/{row['inspection_id']}",
            )
            if alert_id is not None:
                await audit.append(
                    conn, actor_id=None, action="upload.stalled", object_type="upload",
                    object_id=row["id"], post_code=row["post_code"],
                    payload={"inspection_id": row["inspection_id"], "offset": offset,
                             "since": row["since"].isoformat()},
                )
                alerted += 1
    return alerted


async def sweep(
    conn: asyncpg.Connection, store: ObjectStore, *, stall_after: timedelta = STALL_AFTER,
    chain_every: timedelta = VERIFY_EVERY,
) -> SweepResult:
    result = SweepResult()
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", SWEEP_LOCK_KEY):
        result.skipped = True
        return result
    try:
        for row in await conn.fetch(EXPIRED_UPLOADS):
            # An expired upload never became evidence (no recording references it); its
            # partial bytes are discarded, which the protocol's expiration promises.
            async with conn.transaction():
                status = await conn.execute(MARK_EXPIRED, row["id"])
                if status.endswith(" 0"):
                    continue
                await audit.append(
                    conn, actor_id=None, action="upload.expired", object_type="upload",
                    object_id=row["id"], payload={"inspection_id": row["inspection_id"]},
                )
                await raise_alert(
                    conn, kind="upload_stalled", post_code=row["post_code"],
                    object_type="inspection", object_id=row["inspection_id"],
                    title="Загрузка записи не завершена",
                    body="Загрузка видеозаписи истекла, не будучи завершённой.",
                    dedupe_key=f"upload_stalled:{row['id']}",
                    link=f"/inspections/{row['inspection_id']}",
                )
            await store.abort_append(row["store_key"], row["store_token"])
            result.expired_uploads += 1
        for row in await conn.fetch(MISSING_EVIDENCE):
            async with conn.transaction():
                await audit.append(
                    conn, actor_id=None, action="recording.missing_evidence",
                    object_type="inspection", object_id=row["inspection_id"],
                    payload={"client_id": row["client_id"], "phase": row["phase"],
                             "deadline_at": row["deadline_at"].isoformat()},
                )
                await raise_alert(
                    conn, kind="missing_evidence", post_code=row["post_code"],
                    object_type="inspection", object_id=row["inspection_id"],
                    title="Объявленная запись не поступила",
                    body=f"Фаза {row['phase']}: запись объявлена, но не получена к сроку.",
                    dedupe_key=f"missing_evidence:{row['client_id']}",
                    link=f"/inspections/{row['inspection_id']}", auditors=True,
                )
            result.missing_evidence += 1
        result.stalled_uploads = await _stalled_uploads(conn, store, stall_after)
        chain = await watch_chain(conn, chain_every)
        result.chain_broken = chain is not None and not chain.ok
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", SWEEP_LOCK_KEY)
    return result


async def run_periodically(pool: asyncpg.Pool, store: ObjectStore, every_s: float = 60.0) -> None:
    while True:
        try:
            async with pool.acquire() as conn:
                result = await sweep(conn, store)
            if result.expired_uploads or result.missing_evidence or result.stalled_uploads:
                log.info("sweep: %s", result)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(every_s)
