"""Declarations: SQL only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from backend.declarations.schemas import (
    DeclarationIn,
    DeclarationOut,
    InspectionRef,
    LineOut,
    ReleaseOut,
    TransportOut,
    UserRef,
    normalise_unit,
)

INSERT_DECLARATION = """
INSERT INTO declarations (number, procedure, post_code, declarant, declared_corridor, corridor,
                          vehicle_plate, created_by)
VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
ON CONFLICT (number) DO NOTHING
RETURNING id
"""

INSERT_LINE = """
INSERT INTO declaration_lines (declaration_id, line_no, hs_code, description, packaging, places,
                               gross_kg, net_kg)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""

INSERT_UNIT = """
INSERT INTO transport_units (declaration_id, kind, number) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
"""


async def insert_declaration(conn: asyncpg.Connection, data: DeclarationIn, actor_id: str) -> str | None:
    """Insert a declaration with its lines and units; None if the number exists already."""
    plate = normalise_unit(data.transport.vehicle_plate) if data.transport.vehicle_plate else None
    decl_id = await conn.fetchval(
        INSERT_DECLARATION, data.number, data.procedure, data.post_code, data.declarant,
        data.corridor, plate, actor_id,
    )
    if decl_id is None:
        return None
    await conn.executemany(
        INSERT_LINE,
        [
            (decl_id, i + 1, ln.hs_code, ln.description, ln.packaging, ln.places, ln.gross_kg, ln.net_kg)
            for i, ln in enumerate(data.lines)
        ],
    )
    units = [("wagon", normalise_unit(w)) for w in data.transport.wagons]
    units += [("container", normalise_unit(c)) for c in data.transport.containers]
    await conn.executemany(INSERT_UNIT, [(decl_id, kind, num) for kind, num in units])
    return str(decl_id)


ID_BY_NUMBER = "SELECT id FROM declarations WHERE number = $1"


async def id_by_number(conn: asyncpg.Connection, number: str) -> str | None:
    return await conn.fetchval(ID_BY_NUMBER, number)


# One round trip for the whole read model of a declaration.
DECLARATION_VIEW = """
SELECT d.id, d.number, d.procedure, d.post_code, d.declarant, d.corridor, d.declared_corridor,
       d.status, d.inspection_required, d.inspection_reasons, d.vehicle_plate, d.created_at,
       d.updated_at,
       i.id AS inspection_id, i.inspector_id, i.status AS inspection_status,
       rd.decision, rd.decided_at, rd.override, rd.override_reason, rd.comment,
       ru.id AS decided_by_id, ru.name AS decided_by_name,
       coalesce((SELECT json_agg(json_build_object(
            'hs_code', l.hs_code, 'description', l.description, 'packaging', l.packaging,
            'places', l.places, 'gross_kg', l.gross_kg::float8, 'net_kg', l.net_kg::float8)
            ORDER BY l.line_no) FROM declaration_lines l WHERE l.declaration_id = d.id), '[]') AS lines,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'wagon'), '{}') AS wagons,
       coalesce((SELECT array_agg(u.number ORDER BY u.number) FROM transport_units u
                 WHERE u.declaration_id = d.id AND u.kind = 'container'), '{}') AS containers,
       coalesce((SELECT array_agg(s.scan_id ORDER BY s.created_at) FROM scan_links s
                 WHERE s.declaration_id = d.id AND s.unlinked_at IS NULL), '{}')
         AS linked_scan_ids
FROM declarations d
LEFT JOIN inspections i ON i.declaration_id = d.id
LEFT JOIN release_decisions rd ON rd.declaration_id = d.id
LEFT JOIN users ru ON ru.id = rd.actor_id
"""


def _to_out(r: Any) -> DeclarationOut:
    lines = [LineOut(**ln) for ln in r["lines"]]
    decision = None
    if r["decision"] is not None:
        decision = ReleaseOut(
            decision=r["decision"],
            released_by=UserRef(id=r["decided_by_id"], name=r["decided_by_name"]),
            released_at=r["decided_at"],
            override=r["override"],
            override_reason=r["override_reason"],
            comment=r["comment"],
        )
    inspection = None
    if r["inspection_id"] is not None:
        inspection = InspectionRef(
            id=r["inspection_id"], inspector_id=r["inspector_id"], status=r["inspection_status"]
        )
    return DeclarationOut(
        id=r["id"], number=r["number"], procedure=r["procedure"], post_code=r["post_code"],
        declarant=r["declarant"], corridor=r["corridor"], declared_corridor=r["declared_corridor"],
        status=r["status"], inspection_required=r["inspection_required"],
        inspection_reasons=list(r["inspection_reasons"]), inspection=inspection,
        transport=TransportOut(
            vehicle_plate=r["vehicle_plate"], wagons=list(r["wagons"]), containers=list(r["containers"])
        ),
        lines=lines, places_total=sum(ln.places for ln in lines),
        linked_scan_ids=list(r["linked_scan_ids"]), decision=decision, created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


async def get_view(conn: asyncpg.Connection, declaration_id: str) -> DeclarationOut | None:
    row = await conn.fetchrow(DECLARATION_VIEW + " WHERE d.id = $1", declaration_id)
    return _to_out(row) if row else None


LIST_FILTER = """
 WHERE ($1::text IS NULL OR d.status = $1)
   AND ($2::text IS NULL OR d.post_code = $2)
   AND ($3::text IS NULL OR d.number = $3)
   AND ($6::timestamptz IS NULL OR d.updated_at > $6)
 ORDER BY d.created_at DESC, d.id
 LIMIT $4 OFFSET $5
"""


async def list_views(
    conn: asyncpg.Connection, status: str | None, post_code: str | None, number: str | None,
    limit: int, offset: int, updated_since: datetime | None = None,
) -> list[DeclarationOut]:
    rows = await conn.fetch(
        DECLARATION_VIEW + LIST_FILTER, status, post_code, number, limit, offset, updated_since
    )
    return [_to_out(r) for r in rows]


LOCK_DECLARATION = """
SELECT id, post_code, status, procedure, corridor, inspection_required
FROM declarations WHERE id = $1 FOR UPDATE
"""


async def lock(conn: asyncpg.Connection, declaration_id: str) -> Any:
    return await conn.fetchrow(LOCK_DECLARATION, declaration_id)


DECLARATION_HEAD = """
SELECT id, post_code, status, procedure, corridor, inspection_required
FROM declarations WHERE id = $1
"""


async def head(conn: asyncpg.Connection, declaration_id: str) -> Any:
    return await conn.fetchrow(DECLARATION_HEAD, declaration_id)


POST_CODE = "SELECT post_code FROM declarations WHERE id = $1"


async def post_code(conn: asyncpg.Connection, declaration_id: str) -> str | None:
    return await conn.fetchval(POST_CODE, declaration_id)
