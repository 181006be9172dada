"""Upload progress as the board shows it, live: every accepted tus PATCH records the committed
offset and tells the post's boards (the same channel as audit changes), so a head sees the
percentage the tablet sees. The stall sweeper reads the same row: `since` is when the offset
last moved."""

from __future__ import annotations

import asyncpg

from backend.audit.repo import BOARD_CHANNEL

# Only a move is recorded (a replayed PATCH at the same offset changes nothing), and the
# notice carries the post so only that post's boards refetch.
SAW_PROGRESS = """
WITH saw AS (
    INSERT INTO upload_progress (upload_id, committed) VALUES ($1, $2)
    ON CONFLICT (upload_id) DO UPDATE SET committed = EXCLUDED.committed, since = now()
    WHERE upload_progress.committed <> EXCLUDED.committed
    RETURNING upload_id, committed
)
SELECT pg_notify($3::text, json_build_object(
         'post_code', i.post_code, 'object_type', 'upload', 'object_id', u.id,
         'action', 'upload.progress', 'committed', saw.committed)::text)
FROM saw JOIN uploads u ON u.id = saw.upload_id JOIN inspections i ON i.id = u.inspection_id
"""


async def saw_progress(pool: asyncpg.Pool, upload_id: str, committed: int) -> None:
    async with pool.acquire() as conn:
        await conn.execute(SAW_PROGRESS, upload_id, committed, BOARD_CHANNEL)
