"""Board Structs (outputs only: the board takes no body)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from backend.declarations.schemas import GateCondition, UserRef


class BoardCheck(msgspec.Struct, frozen=True):
    name: str
    verdict: str


class BoardPhase(msgspec.Struct, frozen=True):
    phase: str
    min_seconds: float
    state: str  # missing | received | validating | validated | failed
    recording_id: str | None
    verdict: str | None
    recorded_s: float | None  # by the device clock, from the manifest
    short: bool | None  # recorded_s below min_seconds
    checks: list[BoardCheck]


class BoardUpload(msgspec.Struct, frozen=True):
    id: str
    phase: str
    length: int | None
    committed: int | None  # as the last accepted PATCH left it (backend/board/progress.py)
    moving_since: datetime | None  # when the sweeper last saw the offset change
    created_at: datetime
    expires_at: datetime


class BoardExpected(msgspec.Struct, frozen=True):
    client_id: str
    phase: str
    deadline_at: datetime
    overdue: bool


class BoardInspection(msgspec.Struct, frozen=True):
    id: str
    declaration_id: str
    number: str
    procedure: str
    corridor: str
    declaration_status: str
    vehicle_plate: str | None
    status: str
    reasons: list[str]
    inspector: UserRef | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    elapsed_s: float | None
    min_total_s: float  # the required phases' minimum durations, summed
    places_declared: int
    places_counted: int | None
    items_counted: int | None
    phases: list[BoardPhase]
    uploads: list[BoardUpload]  # open (unfinished) uploads
    expected: list[BoardExpected]  # announced recordings whose bytes have not arrived


class BoardOut(msgspec.Struct, frozen=True):
    post_code: str
    generated_at: datetime
    inspections: list[BoardInspection]
    # the inspectors the random draw picks from (PUT /api/posts/{code}/shift)
    on_shift: list[UserRef] = msgspec.field(default_factory=list)


class DeclarationSummary(msgspec.Struct, frozen=True):
    id: str
    number: str
    procedure: str
    corridor: str
    status: str
    inspection_required: bool
    inspection_status: str | None
    created_at: datetime


class AwaitingDeclaration(msgspec.Struct, frozen=True):
    declaration: DeclarationSummary
    allowed: bool
    unmet: list[str]
    conditions: list[GateCondition]
