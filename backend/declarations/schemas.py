"""Declaration Structs: create input, read output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

# Required text must say something: blank is as empty as "" (patterns are searched, not matched).
NOT_BLANK = r"\S"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NOT_BLANK)]
Kg = Annotated[float, msgspec.Meta(ge=0, le=1e7)]
# Separators are dropped when numbers are compared, so a number needs a letter or digit.
UnitNumber = Annotated[str, msgspec.Meta(
    min_length=1, max_length=32, pattern=r"^[A-Za-z0-9 \-]*[A-Za-z0-9][A-Za-z0-9 \-]*$")]


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    hs_code: Annotated[str, msgspec.Meta(pattern=r"^\d{4,10}$")]
    description: Text
    packaging: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=NOT_BLANK)]
    places: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    gross_kg: Kg
    net_kg: Kg


class TransportIn(msgspec.Struct, forbid_unknown_fields=True):
    # Any alphabet (plates carry Cyrillic letters), but at least one letter or digit.
    vehicle_plate: Annotated[
        str, msgspec.Meta(min_length=1, max_length=20, pattern=r"[^\W_]")
    ] | None = None
    wagons: Annotated[list[UnitNumber], msgspec.Meta(max_length=200)] = []
    containers: Annotated[list[UnitNumber], msgspec.Meta(max_length=200)] = []


class DeclarationIn(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-]+$")]
    procedure: Literal["import", "export", "transit"]
    post_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    declarant: Text
    corridor: Literal["green", "yellow", "red"]
    transport: TransportIn
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=1, max_length=999)]


class LineOut(msgspec.Struct, frozen=True):
    hs_code: str
    description: str
    packaging: str
    places: int
    gross_kg: float
    net_kg: float


class TransportOut(msgspec.Struct, frozen=True):
    vehicle_plate: str | None
    wagons: list[str]
    containers: list[str]


class InspectionRef(msgspec.Struct, frozen=True):
    id: str
    inspector_id: str | None
    status: str


class UserRef(msgspec.Struct, frozen=True):
    id: str
    name: str


class ReleaseOut(msgspec.Struct, frozen=True):
    decision: str
    released_by: UserRef
    released_at: datetime
    override: bool
    override_reason: str | None
    comment: str | None


class DeclarationOut(msgspec.Struct, frozen=True):
    id: str
    number: str
    procedure: str
    post_code: str
    declarant: str
    corridor: str
    declared_corridor: str
    status: str
    inspection_required: bool
    inspection_reasons: list[str]
    inspection: InspectionRef | None
    transport: TransportOut
    lines: list[LineOut]
    places_total: int
    linked_scan_ids: list[str]
    decision: ReleaseOut | None
    created_at: datetime
    updated_at: datetime  # any change of the declaration's row (status, corridor, inspection)


class GateCondition(msgspec.Struct, frozen=True):
    code: str
    met: bool
    detail: str  # English free text, for logs and the API
    # why, as a stable code and its parameters: what screens render (i18n `gate.<reason>`)
    reason: str = ""
    params: dict[str, str | int | float | bool] = {}


class GateOut(msgspec.Struct, frozen=True):
    allowed: bool
    conditions: list[GateCondition]

    @property
    def unmet(self) -> list[str]:
        return [c.code for c in self.conditions if not c.met]


class ReleaseIn(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    override_reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class ReleaseResult(msgspec.Struct, frozen=True):
    released_by: UserRef
    released_at: datetime
    override: bool
    gate: GateOut
    override_reason: str | None = None
    comment: str | None = None


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=4000, pattern=NOT_BLANK)]


class RefusalResult(msgspec.Struct, frozen=True):
    refused_by: UserRef
    refused_at: datetime
    reason: str


def normalise_unit(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())


def as_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
