"""The evidence conditions of the gate: `evidence_valid` and `evidence_tied`.

Both read each required phase's latest recording and its latest report as the typed contract
(`contract.report.ValidationReport`): a report that does not decode, or lacks a check its
phase requires, satisfies nothing. Per check:
- `pass` satisfies; `fail` and `unavailable` never do (nothing judged is not evidence);
- `warn` satisfies only where the post's policy accepts that check's warn (`accept_warn`);
- `needs_confirmation` waits for a person: an attestation `confirmed` for this report
  version satisfies it (it is not an override), `rejected` fails it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from backend.declarations.schemas import GateCondition
from backend.gate.facts import GateFacts, RecordingFact
from contract.phases import required_checks
from contract.report import CheckResult, ParamValue, ValidationReport

# Checks of the validation report that tie a recording to this declaration and place.
TIE_CHECKS = ("identity", "geotag", "integrity")
PENDING_STATES = ("received", "validating")


@dataclass
class Findings:
    """Problems found across phases; the first one names the condition's reason."""

    texts: list[str] = field(default_factory=list)
    first: tuple[str, dict[str, ParamValue]] | None = None

    def add(self, text: str, reason: str, **params: ParamValue) -> None:
        self.texts.append(text)
        if self.first is None:
            self.first = (reason, params)

    def condition(self, code: str, ok_detail: str, ok_reason: str) -> GateCondition:
        if self.first is None:
            return GateCondition(code, True, ok_detail, reason=ok_reason)
        reason, params = self.first
        return GateCondition(
            code, False, "; ".join(self.texts), reason=reason,
            params={**params, "problems": len(self.texts)},
        )


def latest_by_phase(f: GateFacts) -> dict[str, RecordingFact]:
    return {r.phase: r for r in f.recordings}


def typed_report(rec: RecordingFact) -> ValidationReport | None:
    if rec.report is None:
        return None
    try:
        return msgspec.convert(rec.report, ValidationReport)
    except msgspec.ValidationError:
        return None


def _phase_report(
    phase: str, rec: RecordingFact | None, found: Findings
) -> ValidationReport | None:
    """The phase's report when there is one to judge; otherwise notes why not."""
    if rec is None:
        found.add(f"{phase}: no recording", "no_recording", phase=phase)
        return None
    if rec.state in PENDING_STATES or rec.report is None:
        found.add(f"{phase}: validation pending", "validation_pending", phase=phase)
        return None
    report = typed_report(rec)
    if report is None:
        found.add(f"{phase}: validation report unreadable", "report_unreadable", phase=phase)
        return None
    missing = [name for name in required_checks(phase) if report.check(name) is None]
    if missing:
        found.add(
            f"{phase}: report lacks {', '.join(missing)}", "checks_missing", phase=phase,
            checks=",".join(missing),
        )  # fmt: skip
        return None
    return report


def _judge(
    f: GateFacts, phase: str, rec: RecordingFact, c: CheckResult, found: Findings
) -> None:
    """One check of a phase against evidence_valid's rules."""
    about: dict[str, ParamValue] = {"phase": phase, "check": c.name, "verdict": c.verdict,
                                    "finding": c.code}
    said = f"{phase}: {c.name} {c.verdict}" + (f" ({c.code})" if c.code else "")
    if c.verdict == "fail":
        found.add(said, "check_failed", **about)
    elif c.verdict == "unavailable":
        found.add(f"{said}: the check could not run", "check_unavailable", **about)
    elif c.needs_confirmation:
        answer = rec.attestations.get(c.name)
        if answer == "rejected":
            found.add(f"{said}: rejected by a person", "check_rejected", **about)
        elif answer != "confirmed":
            found.add(f"{said}: awaits a person's confirmation", "check_needs_confirmation",
                      **about, recording_id=rec.id, report_version=rec.report_version or 0)
    elif c.verdict == "warn" and not f.policy.accepts_warn(c.name):
        found.add(f"{said}: this post does not accept a warn of {c.name}", "warn_not_accepted",
                  **about)


def evidence_valid(f: GateFacts) -> GateCondition:
    if not f.declaration["inspection_required"]:
        return GateCondition("evidence_valid", True, "no inspection required", reason="not_required")
    latest = latest_by_phase(f)
    found = Findings()
    for phase in f.required_phases:
        rec = latest.get(phase)
        report = _phase_report(phase, rec, found)
        if report is None or rec is None:
            continue
        for name in required_checks(phase):
            check = report.check(name)
            if check is not None:
                _judge(f, phase, rec, check, found)
    return found.condition("evidence_valid", "every required phase validated", "all_valid")


def evidence_tied(f: GateFacts) -> GateCondition:
    if not f.declaration["inspection_required"]:
        return GateCondition("evidence_tied", True, "no inspection required", reason="not_required")
    latest = latest_by_phase(f)
    found = Findings()
    for phase in f.required_phases:
        rec = latest.get(phase)
        report = typed_report(rec) if rec is not None and rec.state not in PENDING_STATES else None
        if report is None:
            found.add(f"{phase}: nothing validated to tie", "nothing_to_tie", phase=phase)
            continue
        for name in (n for n in required_checks(phase) if n in TIE_CHECKS):
            c = report.check(name)
            if c is None:
                found.add(f"{phase}: {name} missing", "tie_check_missing", phase=phase, check=name)
            elif c.verdict == "unavailable":
                found.add(f"{phase}: {name} could not run ({c.code})", "tie_check_unavailable",
                          phase=phase, check=name, finding=c.code)
            elif c.verdict == "fail":
                found.add(f"{phase}: {name} failed ({c.detail})", "tie_check_failed",
                          phase=phase, check=name, finding=c.code)
            elif c.needs_confirmation and rec is not None and rec.attestations.get(name) == "rejected":
                found.add(f"{phase}: {name} rejected by a person", "tie_check_rejected",
                          phase=phase, check=name)
    return found.condition("evidence_tied", "numbers, place and time match", "all_tied")
