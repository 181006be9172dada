"""Evidence phases and the checks each phase's validation report must carry (DESIGN.md)."""

from __future__ import annotations

from typing import Literal

from contract.report import CheckName

Phase = Literal["exterior", "unloading", "recount", "opening"]
PHASES: tuple[Phase, ...] = ("exterior", "unloading", "recount", "opening")

# Every phase's report carries these; a decodable file always gets all five.
COMMON_CHECKS: tuple[CheckName, ...] = ("probe", "integrity", "duration", "continuity", "geotag")

# Checks beyond the common ones, per phase.
PHASE_CHECKS: dict[Phase, tuple[CheckName, ...]] = {
    "exterior": ("identity",),
    "unloading": ("completeness",),
    "recount": ("recount",),
    "opening": ("recount",),
}


def required_checks(phase: str) -> tuple[CheckName, ...]:
    """What a complete report of `phase` contains; an unknown phase requires everything."""
    extra = PHASE_CHECKS.get(phase)  # type: ignore[call-overload]
    if extra is None:
        return (*COMMON_CHECKS, "completeness", "recount", "identity")
    return COMMON_CHECKS + tuple(extra)
