"""Who inspects: drawn at random among the post's inspectors on shift. Nobody chooses."""

from __future__ import annotations

import secrets

import asyncpg

ON_SHIFT = """
SELECT id FROM users
WHERE role = 'inspector' AND active AND on_shift AND post_code = $1 AND NOT (id = ANY($2::text[]))
ORDER BY id
"""

_rng = secrets.SystemRandom()


async def draw_inspector(
    conn: asyncpg.Connection, post_code: str, exclude: list[str] | None = None
) -> str | None:
    candidates = [r["id"] for r in await conn.fetch(ON_SHIFT, post_code, exclude or [])]
    return _rng.choice(candidates) if candidates else None
