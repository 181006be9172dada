"""Declaration rules: creation (with linking and inspection routing), reads, ordered inspections."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.declarations import repo
from backend.declarations.schemas import DeclarationIn, DeclarationOut, LineOut, normalise_unit
from backend.errors import (
    AlreadyExists,
    InvalidRequest,
    InvalidState,
    InvalidWagonNumber,
    NotFound,
)
from backend.idk.linking import link_declaration
from backend.inspections.service import require_inspection
from backend.posts import repo as posts_repo
from contract.numbers import WAGON_FORMAT, is_valid_wagon


def invalid_wagons(wagons: list[str]) -> list[str]:
    """The 8-digit wagon numbers whose check digit is wrong (other formats are not judged)."""
    numbers = (normalise_unit(w) for w in wagons)
    return [n for n in numbers if WAGON_FORMAT.match(n) and not is_valid_wagon(n)]


def _same_content(data: DeclarationIn, existing: DeclarationOut) -> bool:
    t = data.transport
    plate = normalise_unit(t.vehicle_plate) if t.vehicle_plate else None
    lines = [LineOut(**msgspec.to_builtins(ln)) for ln in data.lines]
    return (
        existing.procedure == data.procedure
        and existing.post_code == data.post_code
        and existing.declarant == data.declarant
        and existing.declared_corridor == data.corridor
        and existing.transport.vehicle_plate == plate
        and sorted(existing.transport.wagons) == sorted(normalise_unit(w) for w in t.wagons)
        and sorted(existing.transport.containers) == sorted(normalise_unit(c) for c in t.containers)
        and existing.lines == lines
    )


async def create(conn: asyncpg.Connection, actor: Actor, data: DeclarationIn) -> tuple[DeclarationOut, bool]:
    """Create a declaration; a replay of the same body returns it (False), a different body is 409."""
    post = await posts_repo.post_by_code(conn, data.post_code)
    if post is None:
        raise InvalidRequest(f"unknown post {data.post_code}", field="post_code")
    for ln in data.lines:
        if ln.net_kg > ln.gross_kg:
            raise InvalidRequest("net_kg exceeds gross_kg", field="lines")
    if post["kind"] == "rail" and not (data.transport.wagons or data.transport.containers):
        raise InvalidRequest("a rail declaration names its wagons or containers", field="transport")
    bad = invalid_wagons(data.transport.wagons)
    if bad:
        raise InvalidWagonNumber(
            f"wagon number(s) fail the check digit: {', '.join(bad)}", numbers=bad,
            field="transport.wagons",
        )
    async with conn.transaction():
        decl_id = await repo.insert_declaration(conn, data, actor.id)
        if decl_id is None:
            existing_id = await repo.id_by_number(conn, data.number)
            existing = await repo.get_view(conn, existing_id) if existing_id else None
            if existing is not None and _same_content(data, existing):
                return existing, False
            raise AlreadyExists(f"declaration {data.number} exists with different content")
        await audit.append(
            conn, actor_id=actor.id, action="declaration.created", object_type="declaration",
            object_id=decl_id, payload=msgspec.to_builtins(data),
        )
        if data.corridor == "red":
            await require_inspection(conn, decl_id, "red_corridor", actor.id)
        await link_declaration(conn, decl_id, data.post_code, actor_id=actor.id)
        view = await repo.get_view(conn, decl_id)
    assert view is not None
    return view, True


async def get(conn: asyncpg.Connection, actor: Actor, declaration_id: str) -> DeclarationOut:
    view = await repo.get_view(conn, declaration_id)
    if view is None or not actor.sees_post(view.post_code):
        raise NotFound(f"declaration {declaration_id} not found")
    return view


async def search(
    conn: asyncpg.Connection, actor: Actor, status: str | None, post_code: str | None,
    number: str | None, limit: int, offset: int, updated_since: datetime | None = None,
) -> list[DeclarationOut]:
    if actor.post_code is not None:
        if post_code not in (None, actor.post_code):
            return []
        post_code = actor.post_code
    return await repo.list_views(conn, status, post_code, number, limit, offset, updated_since)


async def order_inspection(
    conn: asyncpg.Connection, actor: Actor, declaration_id: str, reason: str
) -> DeclarationOut:
    async with conn.transaction():
        head = await repo.lock(conn, declaration_id)
        if head is None or not actor.sees_post(head["post_code"]):
            raise NotFound(f"declaration {declaration_id} not found")
        if head["status"] in ("released", "refused"):
            raise InvalidState(f"declaration is already {head['status']}")
        await require_inspection(conn, declaration_id, "ordered", actor.id)
        await audit.append(
            conn, actor_id=actor.id, action="declaration.inspection_ordered",
            object_type="declaration", object_id=declaration_id, payload={"reason": reason},
        )
        view = await repo.get_view(conn, declaration_id)
    assert view is not None
    return view
