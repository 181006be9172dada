"""Per-post inspection policy: which phases are required, how long they must last, tolerances."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Phase = Literal["exterior", "unloading", "recount", "opening"]
Procedure = Literal["import", "export", "transit"]
Corridor = Literal["green", "yellow", "red"]

PHASES: tuple[str, ...] = ("exterior", "unloading", "recount", "opening")

NonNeg = Annotated[float, msgspec.Meta(ge=0)]


class MinSeconds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fixed: NonNeg
    per_place: NonNeg = 0.0

    def for_places(self, places: int) -> float:
        return self.fixed + self.per_place * places


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # procedure -> corridor -> phases; a corridor missing from the map requires nothing
    # unless an inspection is ordered, in which case `ordered_phases` apply.
    required_phases: dict[Procedure, dict[Corridor, list[Phase]]]
    ordered_phases: list[Phase]
    min_seconds: dict[Phase, MinSeconds]
    gps_tolerance_m: NonNeg = 150.0
    max_speed_kmh: NonNeg = 60.0
    clock_skew_s: NonNeg = 300.0
    count_tolerance: Annotated[int, msgspec.Meta(ge=0)] = 0
    max_recording_bytes: Annotated[int, msgspec.Meta(gt=0)] = 4 << 30
    evidence_deadline_s: Annotated[int, msgspec.Meta(gt=0)] = 4 * 3600
    audit_sample_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.05

    def phases_for(self, procedure: str, corridor: str) -> list[str]:
        by_corridor = self.required_phases.get(procedure, {})  # type: ignore[call-overload]
        phases = by_corridor.get(corridor)  # type: ignore[call-overload]
        return list(phases) if phases else list(self.ordered_phases)


def default_policy(kind: str) -> Policy:
    """The demo policy: rail posts film the exterior (container numbers) too."""
    full: list[Phase] = ["exterior", "unloading", "recount", "opening"]
    road: list[Phase] = ["exterior", "unloading", "recount"]
    phases = full if kind == "rail" else road
    return Policy(
        required_phases={
            p: {"red": phases, "yellow": phases}  # type: ignore[dict-item]
            for p in ("import", "export", "transit")
        },
        ordered_phases=phases,
        min_seconds={
            "exterior": MinSeconds(fixed=20),
            "unloading": MinSeconds(fixed=120, per_place=3),
            "recount": MinSeconds(fixed=30, per_place=2),
            "opening": MinSeconds(fixed=60, per_place=1),
        },
    )
