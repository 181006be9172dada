"""The validation report: the contract both the backend and the worker read (DESIGN.md).

Verdicts: `pass`, `warn`, `fail`, and `unavailable` for a check that could not run (a model
missing or failing its sha256, OCR not installed, decoding failed after every retry).
`unavailable` is never evidence either way, so it never satisfies the gate.

Every finding carries a stable `code` and its `params`, so screens render it in the reader's
language; `detail` is the English free text for logs and the API. `needs_confirmation` marks
an advisory check whose model is not proven on this post's footage: a person decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

PIPELINE_VERSION = "1.0.0"

Verdict = Literal["pass", "warn", "fail", "unavailable"]
ParamValue = str | int | float | bool
CheckName = Literal[
    "probe", "integrity", "duration", "continuity", "geotag", "completeness", "recount", "identity"
]
CHECK_NAMES: tuple[str, ...] = CheckName.__args__  # type: ignore[attr-defined]
VERDICTS: tuple[str, ...] = Verdict.__args__  # type: ignore[attr-defined]
# A report is as bad as its worst check; a check that could not run is worse than a doubt
# (nothing was judged) but better than a failure (nothing was found wrong).
_RANK: dict[str, int] = {"pass": 0, "warn": 1, "unavailable": 2, "fail": 3}
_BY_RANK: tuple[Verdict, ...] = ("pass", "warn", "unavailable", "fail")


class CheckResult(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: CheckName
    verdict: Verdict
    score: float
    threshold: float
    detail: str
    # video seconds an auditor should look at, as [start_s, end_s]
    times: tuple[tuple[float, float], ...] = ()
    # stable machine code of the finding (e.g. "bay_not_empty_at_end") and its parameters
    code: str = ""
    params: dict[str, ParamValue] = {}
    # an advisory model-driven check: the verdict waits for a person's confirmation
    needs_confirmation: bool = False


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
    return _BY_RANK[max(ranked)]


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
    *,
    code: str = "",
    params: dict[str, ParamValue] | None = None,
    needs_confirmation: bool = False,
) -> CheckResult:
    """Rounded so reports diff cleanly and read well."""
    return CheckResult(
        name=name,
        verdict=verdict,
        score=round(float(score), 4),
        threshold=round(float(threshold), 4),
        detail=detail,
        times=tuple((round(float(a), 2), round(float(b), 2)) for a, b in times),
        code=code,
        params=dict(params or {}),
        needs_confirmation=needs_confirmation,
    )


def encode(report: ValidationReport) -> bytes:
    return msgspec.json.encode(report)


def decode(data: bytes | str) -> ValidationReport:
    return msgspec.json.decode(data, type=ValidationReport)
