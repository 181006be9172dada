"""The release gate, and the decisions that go through it (release, refusal).

`evaluate` is the one function behind both GET .../gate and the release transaction, which
holds the declaration row lock while it evaluates and records, so two releases cannot both pass.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from backend.alerts.service import raise_alert
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.declarations import repo as declarations_repo
from backend.declarations.schemas import (
    GateOut,
    RefusalResult,
    ReleaseIn,
    ReleaseResult,
    UserRef,
    as_builtins,
)
from backend.errors import (
    AlreadyDecided,
    InvalidRequest,
    NotFound,
    OverrideNotAllowed,
    ReleaseRefused,
)
from backend.gate import repo
from backend.gate.conditions import CONDITIONS, OVERRIDABLE
from backend.gate.facts import load_facts
from backend.integration.outbox import emit

MIN_OVERRIDE_REASON = 20


async def evaluate(conn: asyncpg.Connection, actor: Actor, declaration_id: str) -> GateOut:
    facts = await load_facts(conn, actor, declaration_id)
    if facts is None or not actor.sees_post(facts.declaration["post_code"]):
        raise NotFound(f"declaration {declaration_id} not found")
    conditions = [check(facts) for check in CONDITIONS]
    return GateOut(allowed=all(c.met for c in conditions), conditions=conditions)


async def release(
    conn: asyncpg.Connection, actor: Actor, declaration_id: str, data: ReleaseIn
) -> ReleaseResult:
    reason = (data.override_reason or "").strip() or None
    if reason is not None and len(reason) < MIN_OVERRIDE_REASON:
        raise InvalidRequest(
            f"an override reason must say why in at least {MIN_OVERRIDE_REASON} characters",
            field="override_reason",
        )
    try:
        async with conn.transaction():
            row = await declarations_repo.lock(conn, declaration_id)
            if row is None or not actor.sees_post(row["post_code"]):
                raise NotFound(f"declaration {declaration_id} not found")
            gate = await evaluate(conn, actor, declaration_id)
            unmet = gate.unmet
            if "not_released" in unmet:
                raise AlreadyDecided(f"declaration is already {row['status']}", unmet=unmet)
            override = False
            if unmet:
                if reason is None:
                    raise ReleaseRefused("conditions not met: " + ", ".join(unmet), unmet=unmet)
                hard = [c for c in unmet if c not in OVERRIDABLE]
                if hard:
                    raise OverrideNotAllowed(
                        "cannot be overridden: " + ", ".join(hard), unmet=unmet, not_overridable=hard
                    )
                override = True
            decided_at: datetime = await repo.insert_decision(
                conn, declaration_id, "released", actor.id, override,
                reason if override else None, data.comment, as_builtins(gate),
            )
            await repo.set_declaration_status(conn, declaration_id, "released")
            await audit.append(
                conn, actor_id=actor.id,
                action="declaration.released_by_override" if override else "declaration.released",
                object_type="declaration", object_id=declaration_id,
                payload={"override": override, "override_reason": reason if override else None,
                         "comment": data.comment, "unmet": unmet, "gate": as_builtins(gate)},
            )
            await emit(conn, "declaration.released", {
                "declaration_id": declaration_id, "post_code": row["post_code"],
                "official": {"id": actor.id, "name": actor.name}, "override": override,
                "released_at": decided_at,
            })
            if override:
                await raise_alert(
                    conn, kind="release_override", post_code=row["post_code"],
                    object_type="declaration", object_id=declaration_id,
                    title="Выпуск с отменой условий",
                    body=f"{actor.name}: {reason} (не выполнено: {', '.join(unmet)})",
                    dedupe_key=f"release_override:{declaration_id}",
                    link=f"/declarations/{declaration_id}", auditors=True,
                    params={"official": actor.name,
                            "unmet": ",".join(unmet), "reason": reason or ""},
                )
    except (ReleaseRefused, OverrideNotAllowed) as refused:
        await _record_refusal(conn, actor, declaration_id, refused.extra.get("unmet", []))
        raise
    return ReleaseResult(
        released_by=UserRef(id=actor.id, name=actor.name), released_at=decided_at,
        override=override, gate=gate, override_reason=reason if override else None,
        comment=data.comment,
    )


async def _record_refusal(
    conn: asyncpg.Connection, actor: Actor, declaration_id: str, unmet: list[str]
) -> None:
    """A refused release attempt is an event of its own, recorded after the rollback."""
    async with conn.transaction():
        post_code = await declarations_repo.post_code(conn, declaration_id)
        await audit.append(
            conn, actor_id=actor.id, action="declaration.release_refused",
            object_type="declaration", object_id=declaration_id, payload={"unmet": sorted(unmet)},
        )
        await raise_alert(
            conn, kind="release_refused", post_code=post_code, object_type="declaration",
            object_id=declaration_id, title="Выпуск отклонён шлюзом",
            body="Не выполнены условия: " + ", ".join(sorted(unmet)),
            dedupe_key=f"release_refused:{declaration_id}:{','.join(sorted(unmet))}",
            link=f"/declarations/{declaration_id}",
            params={"official": actor.name, "unmet": ",".join(sorted(unmet))},
        )


async def refuse(
    conn: asyncpg.Connection, actor: Actor, declaration_id: str, reason: str
) -> RefusalResult:
    """The post head refuses release (goods not released); final, like a release."""
    async with conn.transaction():
        row = await declarations_repo.lock(conn, declaration_id)
        if row is None or not actor.sees_post(row["post_code"]):
            raise NotFound(f"declaration {declaration_id} not found")
        gate = await evaluate(conn, actor, declaration_id)
        blocking = [
            c.code for c in gate.conditions
            if not c.met and c.code in ("not_released", "actor_may_release")
        ]
        if blocking:
            raise AlreadyDecided("the declaration cannot be refused now", unmet=blocking)
        decided_at: datetime = await repo.insert_decision(
            conn, declaration_id, "refused", actor.id, False, None, reason,
            as_builtins(gate),
        )
        await repo.set_declaration_status(conn, declaration_id, "refused")
        await audit.append(
            conn, actor_id=actor.id, action="declaration.refused", object_type="declaration",
            object_id=declaration_id, payload={"reason": reason, "gate": as_builtins(gate)},
        )
        await emit(conn, "declaration.refused", {
            "declaration_id": declaration_id, "post_code": row["post_code"],
            "official": {"id": actor.id, "name": actor.name}, "reason": reason,
            "refused_at": decided_at,
        })
    return RefusalResult(
        refused_by=UserRef(id=actor.id, name=actor.name), refused_at=decided_at, reason=reason
    )
