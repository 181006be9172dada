"""The validation report: the contract both the backend and the worker read (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

PIPELINE_VERSION = "1.0.0"

Verdict = Literal["pass", "warn", "fail"]
CheckName = Literal[
    "probe", "integrity", "duration", "continuity", "geotag", "completeness", "recount", "identity"
]
CHECK_NAMES: tuple[str, ...] = CheckName.__args__  # type: ignore[attr-defined]
_RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}


class CheckResult(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: CheckName
    verdict: Verdict
    score: float
    threshold: float
    detail: str
    # video seconds an auditor should look at, as [start_s, end_s]
    times: tuple[tuple[float, float], ...] = ()


class ModelRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    sha256: str


class ValidationReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    pipeline_version: str = PIPELINE_VERSION
    models: tuple[ModelRef, ...] = ()

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)


def worst(verdicts: Iterable[str]) -> Verdict:
    """The report's verdict is its worst check's; no checks at all cannot pass."""
    ranked = [_RANK[v] for v in verdicts]
    if not ranked:
        return "fail"
    return ("pass", "warn", "fail")[max(ranked)]  # type: ignore[return-value]


def build_report(
    checks: Iterable[CheckResult], models: Iterable[ModelRef] = ()
) -> ValidationReport:
    cs = tuple(checks)
    return ValidationReport(verdict=worst(c.verdict for c in cs), checks=cs, models=tuple(models))


def result(
    name: CheckName,
    verdict: Verdict,
    score: float,
    threshold: float,
    detail: str,
    times: Iterable[tuple[float, float]] = (),
) -> CheckResult:
    """Rounded so reports diff cleanly and read well."""
    return CheckResult(
        name=name,
        verdict=verdict,
        score=round(float(score), 4),
        threshold=round(float(threshold), 4),
        detail=detail,
        times=tuple((round(float(a), 2), round(float(b), 2)) for a, b in times),
    )


def encode(report: ValidationReport) -> bytes:
    return msgspec.json.encode(report)


def decode(data: bytes | str) -> ValidationReport:
    return msgspec.json.decode(data, type=ValidationReport)
