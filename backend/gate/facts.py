"""Everything the release gate looks at, loaded in one place (inside the caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import msgspec

from backend.auth.actor import Actor
from backend.inspections import repo as inspections_repo
from backend.posts.policy import Policy


@dataclass(frozen=True)
class ScanFact:
    id: str
    wagon_number: str
    container_numbers: list[str]
    verdict: str | None


@dataclass(frozen=True)
class RecordingFact:
    id: str
    phase: str
    state: str
    verdict: str | None
    report: dict[str, Any] | None
    manifest: dict[str, Any]
    report_version: int | None = None  # the latest report's version, the one the gate reads
    # check name -> "confirmed" | "rejected": people's answers for that report version
    attestations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GateFacts:
    actor: Actor
    declaration: dict[str, Any]
    has_idk: bool
    policy: Policy
    places_declared: int
    wagons: list[str]
    containers: list[str]
    scans: list[ScanFact]
    inspection: dict[str, Any] | None
    inspectors: list[str] = field(default_factory=list)
    recordings: list[RecordingFact] = field(default_factory=list)

    @property
    def required_phases(self) -> list[str]:
        d = self.declaration
        return self.policy.phases_for(d["procedure"], d["corridor"])


DECLARATION = """
SELECT d.id, d.number, d.post_code, d.status, d.procedure, d.corridor, d.inspection_required,
       p.has_idk,
       -- the policy version the inspection was created under, else the one in force
       coalesce((SELECT v.policy FROM inspections i JOIN policy_versions v
                   ON v.post_code = i.post_code AND v.version = i.policy_version
                 WHERE i.declaration_id = d.id), p.policy) AS policy,
       (SELECT coalesce(sum(places), 0) FROM declaration_lines l WHERE l.declaration_id = d.id)
         AS places_declared
FROM declarations d JOIN posts p ON p.code = d.post_code
WHERE d.id = $1
"""

UNITS = "SELECT kind, number FROM transport_units WHERE declaration_id = $1 ORDER BY kind, number"

# Active links only. A manual link may name the declared units its image shows (the scanner
# misread the number): the gate counts the image as showing them.
SCANS = """
SELECT s.id, CASE WHEN l.covers_wagon <> '' THEN l.covers_wagon ELSE s.wagon_number END
         AS wagon_number,
       s.container_numbers || l.covers_containers AS container_numbers, s.verdict
FROM scan_links l JOIN idk_scans s ON s.id = l.scan_id
WHERE l.declaration_id = $1 AND l.unlinked_at IS NULL
ORDER BY s.scanned_at
"""


# The latest report version of each recording and the attestations given for exactly it.
REPORT_VERSIONS = """
SELECT v.recording_id, v.version, a.check_name, a.decision
FROM validation_reports v
LEFT JOIN check_attestations a ON a.recording_id = v.recording_id AND a.report_version = v.version
WHERE v.recording_id = ANY($1::text[])
"""


async def _report_versions(
    conn: asyncpg.Connection, recording_ids: list[str]
) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    versions: dict[str, int] = {}
    answers: dict[str, dict[str, str]] = {}
    for r in await conn.fetch(REPORT_VERSIONS, recording_ids):
        versions[r["recording_id"]] = int(r["version"])
        if r["check_name"] is not None:
            answers.setdefault(r["recording_id"], {})[r["check_name"]] = r["decision"]
    return versions, answers


async def load_facts(conn: asyncpg.Connection, actor: Actor, declaration_id: str) -> GateFacts | None:
    d = await conn.fetchrow(DECLARATION, declaration_id)
    if d is None:
        return None
    units = await conn.fetch(UNITS, declaration_id)
    scans = [
        ScanFact(r["id"], r["wagon_number"], list(r["container_numbers"]), r["verdict"])
        for r in await conn.fetch(SCANS, declaration_id)
    ]
    inspection = await inspections_repo.by_declaration(conn, declaration_id)
    inspectors: list[str] = []
    recordings: list[RecordingFact] = []
    if inspection is not None:
        inspectors = await inspections_repo.assigned_inspectors(conn, inspection["id"])
        latest = await inspections_repo.latest_recordings(conn, inspection["id"])
        versions, answers = await _report_versions(conn, [r["id"] for r in latest])
        recordings = [
            RecordingFact(r["id"], r["phase"], r["state"], r["verdict"], r["report"], r["manifest"],
                          versions.get(r["id"]), answers.get(r["id"], {}))
            for r in latest
        ]
    return GateFacts(
        actor=actor,
        declaration=dict(d),
        has_idk=d["has_idk"],
        policy=msgspec.convert(d["policy"], Policy),
        places_declared=int(d["places_declared"]),
        wagons=[u["number"] for u in units if u["kind"] == "wagon"],
        containers=[u["number"] for u in units if u["kind"] == "container"],
        scans=scans,
        inspection=dict(inspection) if inspection else None,
        inspectors=inspectors,
        recordings=recordings,
    )
