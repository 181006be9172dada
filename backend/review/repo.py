"""Search and review samples: SQL only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
import msgspec

from backend.review.schemas import DecisionOut, DeclarationHit, Official, SampleItem

# One row per declaration with who inspected it, what the X-ray said and who decided it.
HIT_SELECT = """
SELECT d.id, d.number, d.procedure, d.post_code, d.corridor, d.status, d.vehicle_plate,
       d.created_at, i.status AS inspection_status,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'wagon'), '{}') AS wagons,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'container'), '{}') AS containers,
       coalesce((SELECT json_agg(json_build_object('id', ua.id, 'login', ua.login, 'name', ua.name)
                                 ORDER BY a.assigned_at)
                 FROM inspection_assignments a JOIN users ua ON ua.id = a.inspector_id
                 WHERE a.inspection_id = i.id), '[]') AS inspectors,
       coalesce((SELECT array_agg(DISTINCT coalesce(s.verdict, 'pending'))
                 FROM scan_links l JOIN idk_scans s ON s.id = l.scan_id
                 WHERE l.declaration_id = d.id), '{}') AS idk_verdicts,
       rd.decision, rd.decided_at, rd.override, rd.override_reason,
       ru.id AS decided_by_id, ru.login AS decided_by_login, ru.name AS decided_by_name
FROM declarations d
LEFT JOIN inspections i ON i.declaration_id = d.id
LEFT JOIN release_decisions rd ON rd.declaration_id = d.id
LEFT JOIN users ru ON ru.id = rd.actor_id
"""


def to_hit(r: Any) -> DeclarationHit:
    decision = None
    if r["decision"] is not None:
        decision = DecisionOut(
            decision=r["decision"],
            decided_by=Official(r["decided_by_id"], r["decided_by_login"], r["decided_by_name"]),
            decided_at=r["decided_at"], override=r["override"],
            override_reason=r["override_reason"],
        )
    return DeclarationHit(
        id=r["id"], number=r["number"], procedure=r["procedure"], post_code=r["post_code"],
        corridor=r["corridor"], status=r["status"], vehicle_plate=r["vehicle_plate"],
        wagons=list(r["wagons"]), containers=list(r["containers"]), created_at=r["created_at"],
        inspection_status=r["inspection_status"],
        inspectors=msgspec.convert(r["inspectors"], list[Official]),
        idk_verdicts=sorted(r["idk_verdicts"]), decision=decision,
    )


SEARCH_FILTER = """
WHERE ($1::text IS NULL OR starts_with(d.number, $1))
  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM transport_units u WHERE u.declaration_id = d.id
                                   AND u.kind = 'container' AND u.number = $2))
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM transport_units u WHERE u.declaration_id = d.id
                                   AND u.kind = 'wagon' AND u.number = $3))
  AND ($4::text IS NULL OR d.vehicle_plate = $4)
  AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM inspection_assignments a
                                   JOIN users ua ON ua.id = a.inspector_id
                                   WHERE a.inspection_id = i.id AND (ua.login = $5 OR ua.id = $5)))
  AND ($6::text IS NULL OR d.post_code = $6)
  AND ($7::timestamptz IS NULL OR d.created_at >= $7)
  AND ($8::timestamptz IS NULL OR d.created_at < $8)
  AND ($9::text IS NULL OR EXISTS (SELECT 1 FROM scan_links l JOIN idk_scans s ON s.id = l.scan_id
                                   WHERE l.declaration_id = d.id
                                     AND coalesce(s.verdict, 'pending') = $9))
  AND ($10::boolean IS NULL OR coalesce(rd.override, false) = $10)
  AND ($11::text IS NULL OR d.status = $11)
ORDER BY d.created_at DESC, d.id
LIMIT $12 OFFSET $13
"""


async def search(
    conn: asyncpg.Connection, *, number: str | None, container: str | None, wagon: str | None,
    plate: str | None, inspector: str | None, post_code: str | None, since: datetime | None,
    until: datetime | None, verdict: str | None, override: bool | None, status: str | None,
    limit: int, offset: int,
) -> list[DeclarationHit]:
    rows = await conn.fetch(
        HIT_SELECT + SEARCH_FILTER, number, container, wagon, plate, inspector, post_code, since,
        until, verdict, override, status, limit, offset,
    )
    return [to_hit(r) for r in rows]


# --- review samples ---------------------------------------------------------------------------

SAMPLE_DAY = """
SELECT post_code, day, rate, population, drawn_at FROM review_days WHERE post_code = $1 AND day = $2
"""


async def sample_day(conn: asyncpg.Connection, post_code: str, day: date) -> Any:
    return await conn.fetchrow(SAMPLE_DAY, post_code, day)


# Released on `day` (UTC) at the post: the population a day's sample is drawn from.
RELEASED_ON = """
SELECT rd.declaration_id FROM release_decisions rd JOIN declarations d ON d.id = rd.declaration_id
WHERE d.post_code = $1 AND rd.decision = 'released'
  AND rd.decided_at >= $2::date::timestamp AT TIME ZONE 'UTC'
  AND rd.decided_at < ($2::date + 1)::timestamp AT TIME ZONE 'UTC'
"""


async def released_on(conn: asyncpg.Connection, post_code: str, day: date) -> list[str]:
    return [r["declaration_id"] for r in await conn.fetch(RELEASED_ON, post_code, day)]


INSERT_DAY = """
INSERT INTO review_days (post_code, day, rate, population) VALUES ($1, $2, $3, $4)
ON CONFLICT (post_code, day) DO NOTHING
RETURNING drawn_at
"""

INSERT_SAMPLE = """
INSERT INTO review_samples (declaration_id, post_code, day, rank) VALUES ($1, $2, $3, $4)
"""


async def insert_day(
    conn: asyncpg.Connection, post_code: str, day: date, rate: float, population: int,
    sample: list[str],
) -> bool:
    """Store a day's draw; False if another request stored it first (theirs stands)."""
    if await conn.fetchval(INSERT_DAY, post_code, day, rate, population) is None:
        return False
    await conn.executemany(INSERT_SAMPLE, [(d, post_code, day, i + 1) for i, d in enumerate(sample)])
    return True


ITEM_SELECT = HIT_SELECT.replace(
    "\nFROM declarations d",
    ", rs.rank, rs.status AS review_status, rs.note, rs.reviewed_at,"
    " rv.id AS reviewer_id, rv.login AS reviewer_login, rv.name AS reviewer_name"
    "\nFROM declarations d",
) + """JOIN review_samples rs ON rs.declaration_id = d.id
LEFT JOIN users rv ON rv.id = rs.reviewed_by
"""


def to_item(r: Any) -> SampleItem:
    reviewer = (
        Official(r["reviewer_id"], r["reviewer_login"], r["reviewer_name"])
        if r["reviewer_id"] else None
    )
    return SampleItem(declaration=to_hit(r), rank=r["rank"], status=r["review_status"],
                      note=r["note"], reviewed_by=reviewer, reviewed_at=r["reviewed_at"])


SAMPLE_ITEMS = ITEM_SELECT + "WHERE rs.post_code = $1 AND rs.day = $2 ORDER BY rs.rank"


async def sample_items(conn: asyncpg.Connection, post_code: str, day: date) -> list[SampleItem]:
    return [to_item(r) for r in await conn.fetch(SAMPLE_ITEMS, post_code, day)]


SET_REVIEW = """
UPDATE review_samples SET status = $2, note = $3, reviewed_by = $4, reviewed_at = now()
WHERE declaration_id = $1
RETURNING post_code, day
"""


async def set_review(
    conn: asyncpg.Connection, declaration_id: str, status: str, note: str | None, reviewer: str
) -> Any:
    return await conn.fetchrow(SET_REVIEW, declaration_id, status, note, reviewer)


ITEM_BY_DECLARATION = ITEM_SELECT + "WHERE d.id = $1"


async def item(conn: asyncpg.Connection, declaration_id: str) -> SampleItem | None:
    row = await conn.fetchrow(ITEM_BY_DECLARATION, declaration_id)
    return to_item(row) if row else None


POST_CODES = "SELECT code FROM posts ORDER BY code"


async def post_codes(conn: asyncpg.Connection) -> list[str]:
    return [r["code"] for r in await conn.fetch(POST_CODES)]
