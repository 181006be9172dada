"""Release decisions: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

INSERT_DECISION = """
INSERT INTO release_decisions (declaration_id, decision, actor_id, override, override_reason,
                               comment, gate)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING decided_at
"""


async def insert_decision(
    conn: asyncpg.Connection, declaration_id: str, decision: str, actor_id: str, override: bool,
    override_reason: str | None, comment: str | None, gate: Any,
) -> datetime:
    return await conn.fetchval(
        INSERT_DECISION, declaration_id, decision, actor_id, override, override_reason, comment,
        gate,
    )


SET_STATUS = "UPDATE declarations SET status = $2, updated_at = now() WHERE id = $1"


async def set_declaration_status(conn: asyncpg.Connection, declaration_id: str, status: str) -> None:
    await conn.execute(SET_STATUS, declaration_id, status)
