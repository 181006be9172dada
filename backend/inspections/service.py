"""Inspection rules: when one is required, who does it, and its states.

assigned -> in_progress (the inspector starts) -> finished (after counts).
"""

from __future__ import annotations

import asyncpg

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import can
from backend.declarations import repo as declarations_repo
from backend.errors import Forbidden, InvalidState, NoInspectorOnShift, NotFound
from backend.inspections import repo
from backend.inspections.assignment import draw_inspector
from backend.integration.outbox import emit

# Reasons that also turn the corridor red: nobody may route such goods through green.
RED_REASONS = frozenset({"red_corridor", "idk_suspicion"})
# How the declaration system is told why a corridor changed (declaration.corridor_changed).
CORRIDOR_REASONS = {"idk_suspicion": "idk_suspicion", "idk_model_disagreement": "model_disagreement",
                    "ordered": "head_order"}

async def require_inspection(
    conn: asyncpg.Connection, declaration_id: str, reason: str, actor_id: str | None
) -> str | None:
    """Mark the declaration as needing inspection and create/assign one; returns its id.

    Idempotent per reason. Runs inside the caller's transaction. If the declaration was
    already released, nothing can be inspected any more: that is recorded and alerted.
    """
    before = await repo.lock_declaration_reasons(conn, declaration_id)
    if before is None:
        raise NotFound(f"declaration {declaration_id} not found")
    if before["status"] in ("released", "refused"):
        if reason == "idk_suspicion":
            await audit.append(
                conn, actor_id=actor_id, action="declaration.suspicion_after_release",
                object_type="declaration", object_id=declaration_id, payload={"reason": reason},
            )
            await raise_alert(
                conn, kind="suspicion_after_release", post_code=await _post_of(conn, declaration_id),
                object_type="declaration", object_id=declaration_id,
                title="Подозрение ИДК после выпуска",
                body="По уже выпущенной декларации поступило подозрение ИДК.",
                dedupe_key=f"suspicion_after_release:{declaration_id}",
                link=f"/declarations/{declaration_id}", auditors=True,
            )
        return None
    row = await repo.mark_required(conn, declaration_id, reason, reason in RED_REASONS)
    if reason not in before["inspection_reasons"]:
        await audit.append(
            conn, actor_id=actor_id, action="declaration.inspection_required",
            object_type="declaration", object_id=declaration_id,
            payload={"reason": reason, "corridor": row["corridor"]},
        )
    if row["corridor"] != before["corridor"]:
        await emit(conn, "declaration.corridor_changed", {
            "declaration_id": declaration_id, "number": row["number"], "post_code": row["post_code"],
            "old": before["corridor"], "new": row["corridor"],
            "reason": CORRIDOR_REASONS.get(reason, reason)})
    existing = await repo.by_declaration(conn, declaration_id)
    if existing is not None:
        if reason not in existing["reasons"]:
            await repo.add_reason(conn, existing["id"], reason)
        return str(existing["id"])
    post_code = row["post_code"]
    inspector_id = await draw_inspector(conn, post_code)
    inspection_id = await repo.insert(conn, declaration_id, post_code, inspector_id, [reason], actor_id)
    assert inspection_id is not None
    await emit(conn, "inspection.ordered", {
        "inspection_id": str(inspection_id), "declaration_id": declaration_id,
        "number": row["number"], "post_code": post_code, "reason": reason})
    if inspector_id is not None:
        await repo.record_assignment(conn, inspection_id, inspector_id, actor_id, "random draw")
    else:
        await raise_alert(
            conn, kind="no_inspector", post_code=post_code, object_type="inspection",
            object_id=inspection_id, title="Нет инспектора на смене",
            body=f"Досмотр по декларации {row['number']} не назначен: на смене нет инспекторов.",
            dedupe_key=f"no_inspector:{inspection_id}", link=f"/inspections/{inspection_id}",
        )
    await audit.append(
        conn, actor_id=actor_id, action="inspection.created", object_type="inspection",
        object_id=inspection_id,
        payload={"declaration_id": declaration_id, "inspector_id": inspector_id, "reason": reason},
    )
    return str(inspection_id)


async def _post_of(conn: asyncpg.Connection, declaration_id: str) -> str:
    return str(await declarations_repo.post_code(conn, declaration_id))


async def load_visible(
    conn: asyncpg.Connection, actor: Actor, inspection_id: str, *, for_update: bool = False
) -> asyncpg.Record:
    row = await repo.by_id(conn, inspection_id, for_update=for_update)
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"inspection {inspection_id} not found")
    if actor.role == "inspector" and row["inspector_id"] != actor.id:
        # An inspector works only on what was drawn for them.
        raise NotFound(f"inspection {inspection_id} not found")
    return row


def _own(actor: Actor, row: asyncpg.Record) -> None:
    if not can(actor, "inspection.conduct") or row["inspector_id"] != actor.id:
        raise Forbidden("only the assigned inspector may do this")


async def start(conn: asyncpg.Connection, actor: Actor, inspection_id: str) -> None:
    async with conn.transaction():
        row = await load_visible(conn, actor, inspection_id, for_update=True)
        _own(actor, row)
        if row["status"] == "in_progress":
            return
        if row["status"] != "assigned":
            raise InvalidState(f"inspection is {row['status']}, it cannot be started")
        await repo.start(conn, inspection_id)
        await audit.append(
            conn, actor_id=actor.id, action="inspection.started", object_type="inspection",
            object_id=inspection_id, payload={},
        )
        await raise_alert(
            conn, kind="inspection_started", post_code=row["post_code"], object_type="inspection",
            object_id=inspection_id, title="Досмотр начат",
            body=f"{actor.name} начал(а) досмотр.", dedupe_key=f"inspection_started:{inspection_id}",
            link=f"/inspections/{inspection_id}",
        )


async def record_counts(
    conn: asyncpg.Connection, actor: Actor, inspection_id: str, places: int, items: int | None,
    note: str | None,
) -> None:
    # A blank note is no discrepancy act: the gate must not take it for one.
    note = (note or "").strip() or None
    async with conn.transaction():
        row = await load_visible(conn, actor, inspection_id, for_update=True)
        _own(actor, row)
        if row["status"] != "in_progress":
            raise InvalidState(f"counts are entered during the inspection, not when {row['status']}")
        await repo.set_counts(conn, inspection_id, places, items, note)
        await audit.append(
            conn, actor_id=actor.id, action="inspection.counts", object_type="inspection",
            object_id=inspection_id,
            payload={"places_counted": places, "items_counted": items, "discrepancy_note": note},
        )


async def finish(conn: asyncpg.Connection, actor: Actor, inspection_id: str) -> None:
    async with conn.transaction():
        row = await load_visible(conn, actor, inspection_id, for_update=True)
        _own(actor, row)
        if row["status"] == "finished":
            return
        if row["status"] != "in_progress":
            raise InvalidState(f"inspection is {row['status']}, start it first")
        if row["places_counted"] is None:
            raise InvalidState("enter the counted places before finishing", missing="counts")
        await repo.finish(conn, inspection_id)
        await audit.append(
            conn, actor_id=actor.id, action="inspection.finished", object_type="inspection",
            object_id=inspection_id, payload={},
        )
        await emit(conn, "inspection.finished", {
            "inspection_id": inspection_id, "declaration_id": str(row["declaration_id"]),
            "post_code": row["post_code"], "inspector": {"id": actor.id, "name": actor.name}})


async def reassign(conn: asyncpg.Connection, actor: Actor, inspection_id: str, reason: str) -> str:
    """A post head redraws the inspector; the new one is random too, never chosen."""
    async with conn.transaction():
        row = await load_visible(conn, actor, inspection_id, for_update=True)
        if row["status"] == "finished":
            raise InvalidState("a finished inspection cannot be reassigned")
        previous = await repo.assigned_inspectors(conn, inspection_id)
        new_id = await draw_inspector(conn, row["post_code"], exclude=previous)
        if new_id is None:
            raise NoInspectorOnShift("no inspector on shift who has not had this inspection")
        await repo.reassign(conn, inspection_id, new_id)
        await repo.record_assignment(conn, inspection_id, new_id, actor.id, reason)
        await audit.append(
            conn, actor_id=actor.id, action="inspection.reassigned", object_type="inspection",
            object_id=inspection_id,
            payload={"from": row["inspector_id"], "to": new_id, "reason": reason},
        )
        await raise_alert(
            conn, kind="inspector_reassigned", post_code=row["post_code"], object_type="inspection",
            object_id=inspection_id, title="Инспектор переназначен", body=reason,
            dedupe_key=f"reassigned:{inspection_id}:{len(previous)}",
            link=f"/inspections/{inspection_id}",
        )
    return new_id
