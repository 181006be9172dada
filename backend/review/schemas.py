"""Review Structs: search results, sample days and their items, the review verdict in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec


class Official(msgspec.Struct, frozen=True):
    id: str
    login: str
    name: str


class DecisionOut(msgspec.Struct, frozen=True):
    decision: str
    decided_by: Official
    decided_at: datetime
    override: bool
    override_reason: str | None


class DeclarationHit(msgspec.Struct, frozen=True):
    id: str
    number: str
    procedure: str
    post_code: str
    corridor: str
    status: str
    vehicle_plate: str | None
    wagons: list[str]
    containers: list[str]
    created_at: datetime
    inspection_status: str | None
    inspectors: list[Official]  # everyone ever assigned, in order
    idk_verdicts: list[str]  # of linked scans: suspicion | clear | pending
    decision: DecisionOut | None


class SampleItem(msgspec.Struct, frozen=True):
    declaration: DeclarationHit
    rank: int
    status: str  # pending | reviewed | flagged
    note: str | None
    reviewed_by: Official | None
    reviewed_at: datetime | None


class SampleDay(msgspec.Struct, frozen=True):
    post_code: str
    day: date
    rate: float
    population: int  # declarations released that day
    drawn_at: datetime
    items: list[SampleItem]


class ReviewIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: Literal["reviewed", "flagged"]
    note: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
