"""One small function per gate condition code (DESIGN.md's table), each facts -> GateCondition."""

from __future__ import annotations

from collections.abc import Callable

from backend.declarations.schemas import GateCondition
from backend.gate.facts import GateFacts, RecordingFact

# Checks of the validation report that tie a recording to this declaration and place.
TIE_CHECKS = ("identity", "geotag", "integrity")


def not_released(f: GateFacts) -> GateCondition:
    status = f.declaration["status"]
    met = status not in ("released", "refused")
    return GateCondition("not_released", met, "not decided yet" if met else f"already {status}")


def actor_may_release(f: GateFacts) -> GateCondition:
    a = f.actor
    met = a.role == "post_head" and a.post_code == f.declaration["post_code"]
    detail = (
        f"{a.name} heads post {a.post_code}"
        if met
        else f"role {a.role} at {a.post_code or 'no post'} has no release rights at "
        f"{f.declaration['post_code']}"
    )
    return GateCondition("actor_may_release", met, detail)


def idk_linked(f: GateFacts) -> GateCondition:
    if not f.has_idk:
        return GateCondition("idk_linked", True, "this post does not scan")
    units = [("wagon", w) for w in f.wagons] + [("container", c) for c in f.containers]
    if not units:
        return GateCondition("idk_linked", False, "no wagon or container declared to scan")
    missing = [
        num for kind, num in units
        if not any(
            (s.wagon_number == num) if kind == "wagon" else (num in s.container_numbers)
            for s in f.scans
        )
    ]
    if missing:
        return GateCondition("idk_linked", False, "no IDK scan for " + ", ".join(missing))
    return GateCondition("idk_linked", True, f"{len(f.scans)} scan(s) cover every unit")


def idk_decided(f: GateFacts) -> GateCondition:
    undecided = [s.id for s in f.scans if s.verdict is None]
    if undecided:
        return GateCondition("idk_decided", False, f"{len(undecided)} scan(s) await an operator verdict")
    if not f.scans:
        return GateCondition("idk_decided", True, "no linked scans")
    return GateCondition("idk_decided", True, "every linked scan has a verdict")


def _inspection_needed(f: GateFacts) -> bool:
    return bool(f.declaration["inspection_required"])


def inspection_done(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("inspection_done", True, "no inspection required")
    if f.inspection is None:
        return GateCondition("inspection_done", False, "inspection required but not created")
    status = f.inspection["status"]
    return GateCondition("inspection_done", status == "finished", f"inspection is {status}")


def _latest_by_phase(f: GateFacts) -> dict[str, RecordingFact]:
    return {r.phase: r for r in f.recordings}


def evidence_valid(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("evidence_valid", True, "no inspection required")
    latest = _latest_by_phase(f)
    problems = []
    for phase in f.required_phases:
        rec = latest.get(phase)
        if rec is None:
            problems.append(f"{phase}: no recording")
        elif rec.verdict is None:
            problems.append(f"{phase}: validation pending")
        elif rec.verdict not in ("pass", "warn"):
            problems.append(f"{phase}: validation {rec.verdict}")
    if problems:
        return GateCondition("evidence_valid", False, "; ".join(problems))
    return GateCondition("evidence_valid", True, "every required phase validated")


def counts_reconciled(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("counts_reconciled", True, "no inspection required")
    insp = f.inspection
    if insp is None or insp["places_counted"] is None:
        return GateCondition("counts_reconciled", False, "no count entered")
    counted, declared = insp["places_counted"], f.places_declared
    tolerance = f.policy.count_tolerance
    if abs(counted - declared) <= tolerance:
        return GateCondition("counts_reconciled", True, f"counted {counted} of {declared} declared")
    if insp["discrepancy_note"]:
        return GateCondition(
            "counts_reconciled", True,
            f"counted {counted}, declared {declared}; discrepancy act: {insp['discrepancy_note']}",
        )
    return GateCondition(
        "counts_reconciled", False, f"counted {counted}, declared {declared}, no discrepancy act"
    )


def evidence_tied(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("evidence_tied", True, "no inspection required")
    latest = _latest_by_phase(f)
    problems = []
    for phase in f.required_phases:
        rec = latest.get(phase)
        if rec is None or rec.report is None:
            problems.append(f"{phase}: nothing validated to tie")
            continue
        for check in rec.report.get("checks", []):
            if check.get("name") in TIE_CHECKS and check.get("verdict") == "fail":
                problems.append(f"{phase}: {check['name']} failed ({check.get('detail', '')})")
    if problems:
        return GateCondition("evidence_tied", False, "; ".join(problems))
    return GateCondition("evidence_tied", True, "numbers, place and time match")


def separation_of_duties(f: GateFacts) -> GateCondition:
    if f.actor.id in f.inspectors:
        return GateCondition(
            "separation_of_duties", False, "the releasing official inspected this declaration"
        )
    return GateCondition("separation_of_duties", True, "the releasing official did not inspect it")


CONDITIONS: tuple[Callable[[GateFacts], GateCondition], ...] = (
    not_released,
    actor_may_release,
    idk_linked,
    idk_decided,
    inspection_done,
    evidence_valid,
    counts_reconciled,
    evidence_tied,
    separation_of_duties,
)

# A post head's written reason may override these; never the rest (who, when, and whether
# the official inspected it themselves are not matters of judgement).
OVERRIDABLE = frozenset(
    {"idk_linked", "idk_decided", "inspection_done", "evidence_valid", "counts_reconciled",
     "evidence_tied"}
)
