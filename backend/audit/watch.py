"""The periodic check of the whole audit chain: auditors are alerted once per break.

Runs from the sweeper (one process at a time holds its lock); a full verify costs a pass
over the log, so it runs at most once per `every`, whatever the number of API processes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.audit.repo import ChainReport, verify_chain

CHAIN_WATCH = "audit_chain"
VERIFY_EVERY = timedelta(minutes=15)

LAST_RUN = "SELECT ran_at FROM watch_state WHERE name = $1"

RECORD_RUN = """
INSERT INTO watch_state (name, ran_at, detail) VALUES ($1, now(), $2)
ON CONFLICT (name) DO UPDATE SET ran_at = now(), detail = EXCLUDED.detail
"""

STORED_HASH = "SELECT hash FROM audit_events WHERE seq = $1"


async def watch_chain(
    conn: asyncpg.Connection, every: timedelta = VERIFY_EVERY
) -> ChainReport | None:
    """Verify the chain if it is due; returns the report, or None when not due."""
    last = await conn.fetchval(LAST_RUN, CHAIN_WATCH)
    if last is not None and datetime.now(UTC) - last < every:
        return None
    report = await verify_chain(conn)
    async with conn.transaction():
        await conn.execute(RECORD_RUN, CHAIN_WATCH, msgspec.to_builtins(report))
        if not report.ok:
            await _alert(conn, report)
    return report


async def _alert(conn: asyncpg.Connection, report: ChainReport) -> None:
    # One alert per break: the first bad event and what it holds now. The same break seen
    # again stays quiet; another row tampered with (or the same one again) is a new event.
    stored = await conn.fetchval(STORED_HASH, report.first_bad)
    head = bytes(stored).hex() if stored is not None else "missing"
    alert_id = await raise_alert(
        conn, kind="audit_chain_broken", post_code=None, object_type="audit_event",
        object_id=str(report.first_bad), title="Цепочка журнала аудита нарушена",
        body=f"Событие №{report.first_bad}: {report.reason}; "
        f"до него проверено {report.length} событий.",
        dedupe_key=f"audit_chain_broken:{report.first_bad}:{head}", link="/audit", auditors=True,
    )
    if alert_id is not None:
        await audit.append(
            conn, actor_id=None, action="audit.chain_broken", object_type="audit_event",
            object_id=str(report.first_bad),
            payload={"first_bad": report.first_bad, "reason": report.reason,
                     "verified": report.length, "stored_hash": head},
        )
