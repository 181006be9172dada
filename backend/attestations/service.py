"""A person confirms, not the override: the post head answers an advisory check.

Rules: only a post head of the recording's post, never an inspector of that inspection
(403 `attester_is_inspector`); only the LATEST report version's check, and only one that
`needs_confirmation` (else 409 `nothing_to_confirm`); one answer per check per report version
(409 `already_attested`); a rejection needs a written reason (422 `reason_required`).

An answer is an attestation (audit `check.attested`), not an override: the gate reads it as
the check's outcome. Every answer is also a labelled training example (backend/training).
A rejection alerts the post's heads and the auditors (`check_rejected`): it refuses an
inspector's evidence on a person's word, which auditors review as they review overrides.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import msgspec

from backend.alerts.service import raise_alert
from backend.attestations import repo
from backend.attestations.keys import index_key
from backend.attestations.schemas import AttestationIn, AttestationOut, ConfirmationView, FrameOut
from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import can
from backend.errors import (
    AlreadyAttested,
    AttesterIsInspector,
    NotFound,
    NothingToConfirm,
    ReasonRequired,
)
from backend.inspections import repo as inspections_repo
from backend.storage.base import ObjectMissing, ObjectStore
from backend.training import repo as training
from contract.report import CHECK_NAMES, CheckResult, ValidationReport


def _visible(row: Any, actor: Actor, recording_id: str, check: str) -> None:
    if row is None or not actor.sees_post(row["post_code"]):
        raise NotFound(f"recording {recording_id} not found")
    if check not in CHECK_NAMES:
        raise NotFound(f"no check {check!r}")


def _check(row: Any, check: str) -> CheckResult | None:
    if row["report"] is None:
        return None
    try:
        report = msgspec.convert(row["report"], ValidationReport)
    except msgspec.ValidationError:
        return None
    return report.check(check)


async def frames_index(
    store: ObjectStore, recording_id: str, version: int, check: str
) -> list[dict[str, Any]]:
    try:
        body = await store.get_bytes(index_key(recording_id, version, check))
    except ObjectMissing:
        return []
    return list(json.loads(body).get("frames", []))


async def view(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, recording_id: str, check: str
) -> ConfirmationView:
    row = await repo.recording_for_check(conn, recording_id)
    _visible(row, actor, recording_id, check)
    result = _check(row, check)
    if result is None:
        raise NotFound(f"the latest report of recording {recording_id} has no check {check}")
    version = int(row["report_version"])
    answer = await repo.attestation(conn, recording_id, version, check)
    inspectors = await inspections_repo.assigned_inspectors(conn, row["inspection_id"])
    base = f"/api/recordings/{recording_id}/checks/{check}/frames"
    frames = [
        FrameOut(index=int(f["i"]), t=float(f["t"]), role=str(f["role"]), label=str(f["label"]),
                 url=f"{base}/{int(f['i'])}")
        for f in await frames_index(store, recording_id, version, check)
    ]  # fmt: skip
    return ConfirmationView(
        recording_id=recording_id, inspection_id=row["inspection_id"],
        declaration_id=row["declaration_id"], declaration_number=row["number"],
        phase=row["phase"], check=check, report_version=version, verdict=result.verdict,
        code=result.code, params=dict(result.params), detail=result.detail,
        times=[(a, b) for a, b in result.times], needs_confirmation=result.needs_confirmation,
        may_attest=(
            can(actor, "check.attest") and result.needs_confirmation and answer is None
            and actor.id not in inspectors and actor.id != row["inspector_id"]
        ),
        frames=frames, attestation=answer,
    )  # fmt: skip


async def frame(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, recording_id: str, check: str,
    index: int,
) -> bytes:  # fmt: skip
    row = await repo.recording_for_check(conn, recording_id)
    _visible(row, actor, recording_id, check)
    if row["report_version"] is None:
        raise NotFound(f"recording {recording_id} has no report yet")
    entries = await frames_index(store, recording_id, int(row["report_version"]), check)
    entry = next((f for f in entries if int(f["i"]) == index), None)
    if entry is None:
        raise NotFound(f"no frame {index} for check {check}")
    return await store.get_bytes(str(entry["key"]))


async def attest(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, recording_id: str, check: str,
    data: AttestationIn,
) -> AttestationOut:  # fmt: skip
    reason = (data.reason or "").strip() or None
    if data.decision == "rejected" and reason is None:
        raise ReasonRequired("say what the frames show that the check's claim does not hold",
                             field="reason")
    async with conn.transaction():
        row = await repo.recording_for_check(conn, recording_id, lock=True)
        _visible(row, actor, recording_id, check)
        inspectors = await inspections_repo.assigned_inspectors(conn, row["inspection_id"])
        if actor.id in inspectors or actor.id == row["inspector_id"]:
            raise AttesterIsInspector("an inspector of this declaration may not attest its evidence")
        result = _check(row, check)
        if result is None or not result.needs_confirmation:
            raise NothingToConfirm(
                f"the latest report of recording {recording_id} does not ask a person about "
                f"{check}", report_version=row["report_version"],
            )  # fmt: skip
        version = int(row["report_version"])
        attestation_id = await repo.insert(
            conn, recording_id, version, check, data.decision, reason, actor.id
        )
        if attestation_id is None:
            raise AlreadyAttested(f"{check} of report version {version} is already answered")
        frames = await frames_index(store, recording_id, version, check)
        label = training.label_for(check, data.decision)
        await training.insert_example(
            conn, attestation_id=attestation_id, recording_id=recording_id,
            report_version=version, check=check, post_code=row["post_code"], label=label,
            frames=frames, model_code=result.code, model_params=dict(result.params),
            actor_id=actor.id,
        )  # fmt: skip
        await audit.append(
            conn, actor_id=actor.id, action="check.attested", object_type="recording",
            object_id=recording_id, post_code=row["post_code"],
            payload={"check": check, "decision": data.decision, "reason": reason,
                     "report_version": version, "attestation_id": attestation_id,
                     "finding": result.code, "declaration_id": row["declaration_id"],
                     "frames": [f.get("sha256") for f in frames]},
        )  # fmt: skip
        if data.decision == "rejected":
            await raise_alert(
                conn, kind="check_rejected", post_code=row["post_code"],
                object_type="recording", object_id=recording_id,
                title="Проверка отклонена начальником поста",
                body=f"Декларация {row['number']}, фаза {row['phase']}: {check} отклонена: {reason}",
                dedupe_key=f"check_rejected:{attestation_id}",
                link=f"/inspections/{row['inspection_id']}", auditors=True,
                params={"check": check, "phase": row["phase"], "number": row["number"],
                        "version": version},
            )  # fmt: skip
        out = await repo.attestation(conn, recording_id, version, check)
    assert out is not None
    return out
