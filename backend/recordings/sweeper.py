"""Periodic housekeeping of intake: expire abandoned uploads, flag announced-but-missing evidence.

Safe to run from every API process at once: a try-lock lets one sweep at a time, and each
step is idempotent (state transitions guarded in SQL, alerts deduplicated).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.storage.base import ObjectStore

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


@dataclass
class SweepResult:
    expired_uploads: int = 0
    missing_evidence: int = 0
    skipped: bool = False


async def sweep(conn: asyncpg.Connection, store: ObjectStore) -> SweepResult:
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
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", SWEEP_LOCK_KEY)
    return result


async def run_periodically(pool: asyncpg.Pool, store: ObjectStore, every_s: float = 60.0) -> None:
    while True:
        try:
            async with pool.acquire() as conn:
                result = await sweep(conn, store)
            if result.expired_uploads or result.missing_evidence:
                log.info("sweep: %s", result)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(every_s)
