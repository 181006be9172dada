"""What a post head sends and sees when answering an advisory check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

Decision = Literal["confirmed", "rejected"]


class AttestationIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    decision: Decision
    # required when rejecting: what the person saw that the check's claim does not hold
    reason: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class Person(msgspec.Struct, frozen=True):
    id: str
    name: str


class AttestationOut(msgspec.Struct, frozen=True):
    id: str
    recording_id: str
    report_version: int
    check: str
    decision: Decision
    reason: str | None
    actor: Person
    created_at: datetime


class FrameOut(msgspec.Struct, frozen=True):
    index: int
    t: float  # video seconds
    role: str  # "start" | "end" | "tap" | "moment"
    label: str
    url: str


class ConfirmationView(msgspec.Struct, frozen=True):
    """Everything the confirmation screen shows: the check, its frames, any answer given."""

    recording_id: str
    inspection_id: str
    declaration_id: str
    declaration_number: str
    phase: str
    check: str
    report_version: int
    verdict: str
    code: str
    params: dict[str, Any]
    detail: str
    times: list[tuple[float, float]]
    needs_confirmation: bool
    may_attest: bool  # this reader may answer it now
    frames: list[FrameOut]
    attestation: AttestationOut | None
