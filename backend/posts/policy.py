"""Per-post inspection policy. The Structs live in the shared contract (the worker reads the
same policy); this module keeps the API side's import path."""

from __future__ import annotations

from contract.phases import PHASES, Phase
from contract.policy import (
    Corridor,
    MinSeconds,
    NonNeg,
    PhaseRules,
    Policy,
    Procedure,
    default_policy,
)

__all__ = [
    "PHASES",
    "Corridor",
    "MinSeconds",
    "NonNeg",
    "Phase",
    "PhaseRules",
    "Policy",
    "Procedure",
    "default_policy",
]
