"""The inspection as the tablet and the post board see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
import msgspec

from backend.auth.actor import Actor
from backend.declarations import repo as declarations_repo
from backend.declarations.schemas import DeclarationOut
from backend.idk.repo import scans_for_declaration
from backend.inspections import repo
from backend.inspections.service import load_visible
from backend.posts import repo as posts_repo


class CountsIn(msgspec.Struct, forbid_unknown_fields=True):
    places_counted: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    items_counted: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None
    discrepancy_note: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class PhaseState(msgspec.Struct, frozen=True):
    phase: str
    min_seconds: float
    state: str  # missing | received | validating | validated | failed
    recording_id: str | None
    verdict: str | None


class RecordingSummary(msgspec.Struct, frozen=True):
    id: str
    phase: str
    version: int
    state: str
    verdict: str | None
    sha256: str | None
    size: int | None
    created_at: datetime


class RiskArea(msgspec.Struct, frozen=True):
    scan_id: str
    image_id: str
    x: float
    y: float
    w: float
    h: float
    note: str | None


class InspectionOut(msgspec.Struct, frozen=True):
    id: str
    declaration_id: str
    post_code: str
    inspector_id: str | None
    inspector_name: str | None
    status: str
    reasons: list[str]
    started_at: datetime | None
    finished_at: datetime | None
    places_counted: int | None
    items_counted: int | None
    discrepancy_note: str | None
    declaration: DeclarationOut
    phases: list[PhaseState]
    recordings: list[RecordingSummary]
    risk_areas: list[RiskArea]
    scans: list[dict[str, Any]]


class InspectionListItem(msgspec.Struct, frozen=True):
    id: str
    declaration_id: str
    number: str
    corridor: str
    procedure: str
    post_code: str
    inspector_id: str | None
    inspector_name: str | None
    status: str
    reasons: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


async def view(conn: asyncpg.Connection, actor: Actor, inspection_id: str) -> InspectionOut:
    row = await load_visible(conn, actor, inspection_id)
    declaration = await declarations_repo.get_view(conn, row["declaration_id"])
    assert declaration is not None
    # The version the inspection was created under, as the gate and the worker read it.
    policy = await posts_repo.policy_of_inspection(conn, inspection_id)
    assert policy is not None
    latest = {r["phase"]: r for r in await repo.latest_recordings(conn, inspection_id)}
    phases = []
    for phase in policy.phases_for(declaration.procedure, declaration.corridor):
        rec = latest.get(phase)
        rule = policy.min_seconds.get(phase)  # type: ignore[call-overload]
        phases.append(PhaseState(
            phase=phase,
            min_seconds=rule.for_places(declaration.places_total) if rule else 0.0,
            state=rec["state"] if rec else "missing",
            recording_id=rec["id"] if rec else None,
            verdict=rec["verdict"] if rec else None,
        ))
    recordings = [
        RecordingSummary(
            id=r["id"], phase=r["phase"], version=r["version"], state=r["state"],
            verdict=r["verdict"], sha256=r["sha256"], size=r["size"], created_at=r["created_at"],
        )
        for r in await repo.all_recordings(conn, inspection_id)
    ]
    scans = await scans_for_declaration(conn, row["declaration_id"])
    risk_areas = [
        RiskArea(scan_id=s.id, image_id=s.image_id, x=a["x"], y=a["y"], w=a["w"], h=a["h"],
                 note=a.get("note"))
        for s in scans for a in (s.risk_areas or [])
    ]
    return InspectionOut(
        id=row["id"], declaration_id=row["declaration_id"], post_code=row["post_code"],
        inspector_id=row["inspector_id"], inspector_name=row["inspector_name"],
        status=row["status"], reasons=list(row["reasons"]),
        started_at=row["started_at"], finished_at=row["finished_at"],
        places_counted=row["places_counted"], items_counted=row["items_counted"],
        discrepancy_note=row["discrepancy_note"], declaration=declaration, phases=phases,
        recordings=recordings, risk_areas=risk_areas,
        scans=[msgspec.to_builtins(s) for s in scans],
    )


async def list_for(
    conn: asyncpg.Connection, actor: Actor, mine: bool, status: str | None, post_code: str | None
) -> list[InspectionListItem]:
    inspector_id = actor.id if (mine or actor.role == "inspector") else None
    scope = actor.post_code if actor.post_code is not None else post_code
    rows = await repo.list_inspections(conn, scope, inspector_id, status)
    return [
        InspectionListItem(
            id=r["id"], declaration_id=r["declaration_id"], number=r["number"],
            corridor=r["corridor"], procedure=r["procedure"], post_code=r["post_code"],
            inspector_id=r["inspector_id"], inspector_name=r["inspector_name"],
            status=r["status"], reasons=list(r["reasons"]),
            created_at=r["created_at"], started_at=r["started_at"], finished_at=r["finished_at"],
        )
        for r in rows
    ]
