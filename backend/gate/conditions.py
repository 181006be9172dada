"""One small function per gate condition code (DESIGN.md's table), each facts -> GateCondition.

Each condition carries `reason` (a stable code) and `params`, which screens render in the
reader's language; `detail` is the English free text for logs and the API.
"""

from __future__ import annotations

from collections.abc import Callable

from backend.declarations.schemas import GateCondition
from backend.gate.evidence import TIE_CHECKS, evidence_tied, evidence_valid
from backend.gate.facts import GateFacts

__all__ = ["CONDITIONS", "OVERRIDABLE", "TIE_CHECKS"]


def not_released(f: GateFacts) -> GateCondition:
    status = f.declaration["status"]
    met = status not in ("released", "refused")
    if met:
        return GateCondition("not_released", True, "not decided yet", reason="not_decided")
    return GateCondition(
        "not_released", False, f"already {status}", reason=f"already_{status}",
        params={"status": status},
    )


def actor_may_release(f: GateFacts) -> GateCondition:
    a = f.actor
    post = f.declaration["post_code"]
    if a.role == "post_head" and a.post_code == post:
        return GateCondition(
            "actor_may_release", True, f"{a.name} heads post {a.post_code}", reason="heads_post",
            params={"name": a.name, "post": post},
        )
    return GateCondition(
        "actor_may_release", False,
        f"role {a.role} at {a.post_code or 'no post'} has no release rights at {post}",
        reason="no_release_rights", params={"role": a.role, "post": post},
    )


def idk_linked(f: GateFacts) -> GateCondition:
    if not f.has_idk:
        return GateCondition("idk_linked", True, "this post does not scan", reason="post_does_not_scan")
    units = [("wagon", w) for w in f.wagons] + [("container", c) for c in f.containers]
    if not units:
        return GateCondition(
            "idk_linked", False, "no wagon or container declared to scan",
            reason="nothing_declared_to_scan",
        )
    missing = [
        num for kind, num in units
        if not any(
            (s.wagon_number == num) if kind == "wagon" else (num in s.container_numbers)
            for s in f.scans
        )
    ]  # fmt: skip
    if missing:
        return GateCondition(
            "idk_linked", False, "no IDK scan for " + ", ".join(missing), reason="scan_missing",
            params={"units": ", ".join(missing), "count": len(missing)},
        )
    return GateCondition(
        "idk_linked", True, f"{len(f.scans)} scan(s) cover every unit", reason="every_unit_scanned",
        params={"count": len(f.scans)},
    )


def idk_decided(f: GateFacts) -> GateCondition:
    undecided = [s.id for s in f.scans if s.verdict is None]
    if undecided:
        return GateCondition(
            "idk_decided", False, f"{len(undecided)} scan(s) await an operator verdict",
            reason="verdicts_pending", params={"count": len(undecided)},
        )
    if not f.scans:
        return GateCondition("idk_decided", True, "no linked scans", reason="no_linked_scans")
    return GateCondition(
        "idk_decided", True, "every linked scan has a verdict", reason="every_scan_decided",
        params={"count": len(f.scans)},
    )


def _inspection_needed(f: GateFacts) -> bool:
    return bool(f.declaration["inspection_required"])


def inspection_done(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("inspection_done", True, "no inspection required", reason="not_required")
    if f.inspection is None:
        return GateCondition(
            "inspection_done", False, "inspection required but not created", reason="not_created"
        )
    status = f.inspection["status"]
    return GateCondition(
        "inspection_done", status == "finished", f"inspection is {status}",
        reason="finished" if status == "finished" else "not_finished", params={"status": status},
    )


def counts_reconciled(f: GateFacts) -> GateCondition:
    if not _inspection_needed(f):
        return GateCondition("counts_reconciled", True, "no inspection required", reason="not_required")
    insp = f.inspection
    if insp is None or insp["places_counted"] is None:
        return GateCondition("counts_reconciled", False, "no count entered", reason="no_count")
    counted, declared = insp["places_counted"], f.places_declared
    params: dict[str, str | int | float | bool] = {
        "counted": counted, "declared": declared, "tolerance": f.policy.count_tolerance,
    }
    if abs(counted - declared) <= f.policy.count_tolerance:
        return GateCondition(
            "counts_reconciled", True, f"counted {counted} of {declared} declared",
            reason="counts_match", params=params,
        )
    if insp["discrepancy_note"]:
        return GateCondition(
            "counts_reconciled", True,
            f"counted {counted}, declared {declared}; discrepancy act: {insp['discrepancy_note']}",
            reason="discrepancy_act", params=params,
        )
    return GateCondition(
        "counts_reconciled", False, f"counted {counted}, declared {declared}, no discrepancy act",
        reason="counts_differ", params=params,
    )


def separation_of_duties(f: GateFacts) -> GateCondition:
    if f.actor.id in f.inspectors:
        return GateCondition(
            "separation_of_duties", False, "the releasing official inspected this declaration",
            reason="official_inspected",
        )
    return GateCondition(
        "separation_of_duties", True, "the releasing official did not inspect it",
        reason="official_did_not_inspect",
    )


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
