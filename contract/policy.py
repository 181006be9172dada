"""Per-post inspection policy and the one function that turns it into a phase's rules.

`Policy` is what a post stores (GET/PUT /api/posts/{code}/policy); `Policy.phase_rules` is the
only place a phase's minimum seconds and tolerances are derived, for the API (board,
inspection view) and the worker (checks) alike.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contract.geo import Polygon
from contract.phases import PHASES, Phase
from contract.report import CHECK_NAMES, CheckName

Procedure = Literal["import", "export", "transit"]
Corridor = Literal["green", "yellow", "red"]
NonNeg = Annotated[float, msgspec.Meta(ge=0)]
Positive = Annotated[float, msgspec.Meta(gt=0)]

# A `warn` of these checks satisfies the gate unless a post says otherwise; an unread number
# or a bay not shown empty is doubt about the very thing the phase must prove.
WARN_NOT_ACCEPTED: frozenset[str] = frozenset({"identity", "completeness"})


def default_accept_warn() -> dict[CheckName, bool]:
    return {name: name not in WARN_NOT_ACCEPTED for name in CHECK_NAMES}  # type: ignore[misc]


def minimum_seconds(fixed: float, per_place: float, places: int) -> float:
    """The phase minimum: a fixed part plus a part per declared cargo place."""
    return fixed + per_place * max(places, 0)


class MinSeconds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fixed: NonNeg
    per_place: NonNeg = 0.0

    def for_places(self, places: int) -> float:
        return minimum_seconds(self.fixed, self.per_place, places)


class PhaseRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One phase's rules as the checks read them (made by `Policy.phase_rules`)."""

    min_seconds: float  # fixed part of the minimum
    min_seconds_per_place: float
    gps_tolerance_m: float
    geofence: Polygon | None
    clock_skew_s: float
    count_tolerance: int
    max_speed_mps: float
    # pipeline tunables; the post policy may set them, the defaults suit a handheld tablet
    max_gap_s: float = 2.0
    frozen_s: float = 10.0
    black_s: float = 5.0
    track_gap_s: float = 30.0
    track_edge_s: float = 15.0
    # model-driven checks the post lets decide on their own once proven, and the bar
    binding_checks: tuple[str, ...] = ()
    binding_bar: float = 0.95
    identity_unread: str = "fail"

    def minimum(self, places: int) -> float:
        return minimum_seconds(self.min_seconds, self.min_seconds_per_place, places)


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
    # check -> whether its `warn` satisfies evidence_valid; a check left out takes the default
    accept_warn: dict[CheckName, bool] = msgspec.field(default_factory=default_accept_warn)
    # model-driven checks this post lets decide on their own (pass/fail without a person), when
    # the model's figures on this post's real footage reach `binding_bar`
    binding_checks: tuple[CheckName, ...] = ()
    binding_bar: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.95
    # a declared number (container, plate, wagon) not read at all in the exterior take: `fail`
    # by default; a post whose cameras cannot read its plates may make it `warn` (which still
    # needs accept_warn for identity to satisfy the gate)
    identity_unread: Literal["fail", "warn"] = "fail"
    # continuity and geotag tunables
    max_gap_s: Positive = 2.0
    frozen_s: Positive = 10.0
    black_s: Positive = 5.0
    track_gap_s: Positive = 30.0
    track_edge_s: NonNeg = 15.0

    def phases_for(self, procedure: str, corridor: str) -> list[str]:
        by_corridor = self.required_phases.get(procedure, {})  # type: ignore[call-overload]
        phases = by_corridor.get(corridor)  # type: ignore[call-overload]
        return list(phases) if phases else list(self.ordered_phases)

    def accepts_warn(self, check: str) -> bool:
        if check in self.accept_warn:
            return bool(self.accept_warn[check])  # type: ignore[index]
        return check not in WARN_NOT_ACCEPTED

    def phase_minimum(self, phase: str, places: int) -> float:
        rule = self.min_seconds.get(phase)  # type: ignore[call-overload]
        return rule.for_places(places) if rule is not None else 0.0

    def phase_rules(self, phase: str, geofence: Polygon | None = None) -> PhaseRules:
        """The rules the checks of one `phase` apply; `geofence` is the post's."""
        rule = self.min_seconds.get(phase)  # type: ignore[call-overload]
        return PhaseRules(
            min_seconds=rule.fixed if rule else 0.0,
            min_seconds_per_place=rule.per_place if rule else 0.0,
            gps_tolerance_m=self.gps_tolerance_m,
            geofence=geofence,
            clock_skew_s=self.clock_skew_s,
            count_tolerance=self.count_tolerance,
            max_speed_mps=self.max_speed_kmh / 3.6,
            max_gap_s=self.max_gap_s,
            frozen_s=self.frozen_s,
            black_s=self.black_s,
            track_gap_s=self.track_gap_s,
            track_edge_s=self.track_edge_s,
            binding_checks=tuple(self.binding_checks),
            binding_bar=self.binding_bar,
            identity_unread=self.identity_unread,
        )


def default_policy(kind: str) -> Policy:
    """The demo policy: rail posts film the exterior (container numbers) too."""
    full: list[Phase] = list(PHASES)
    road: list[Phase] = ["exterior", "unloading", "recount"]
    phases = full if kind == "rail" else road
    return Policy(
        required_phases={
            p: {"red": phases, "yellow": phases}  # type: ignore[misc]
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
