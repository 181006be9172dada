"""evidence_valid and evidence_tied on typed reports: unavailable never passes, warn only where
the post accepts it, a check awaiting a person's confirmation waits for an attestation of
the latest report version, and a renamed or missing check satisfies nothing."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.helpers import add_validated_recording, create_declaration, report_checks, user_id

PHASES = ("exterior", "unloading", "recount")


def cond(gate: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in gate["conditions"] if c["code"] == code)


async def _gate(client: Any, head: dict[str, str], decl_id: str) -> dict[str, Any]:
    resp = await client.get(f"/api/declarations/{decl_id}/gate", headers=head)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def with_check(phase: str, check: str, **fields: Any) -> list[dict[str, Any]]:
    checks = report_checks(phase)
    for c in checks:
        if c["name"] == check:
            c.update(fields)
    return checks


async def _inspection(client: Any, auth: Any) -> tuple[str, str, dict[str, str]]:
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    return decl["id"], decl["inspection"]["id"], await auth("head.alakol")


async def _all_pass(db: asyncpg.Connection, insp: str, skip: str = "") -> None:
    for phase in PHASES:
        if phase != skip:
            await add_validated_recording(db, insp, phase, "pass")


async def test_unavailable_never_satisfies_and_is_named(client, auth, db) -> None:
    decl, insp, head = await _inspection(client, auth)
    await _all_pass(db, insp, skip="unloading")
    await add_validated_recording(db, insp, "unloading", "unavailable", checks=with_check(
        "unloading", "completeness", verdict="unavailable", code="model_unavailable",
        params={"model": "occupancy"}))
    valid = cond(await _gate(client, head, decl), "evidence_valid")
    assert valid["met"] is False and valid["reason"] == "check_unavailable"
    assert valid["params"]["check"] == "completeness" and valid["params"]["verdict"] == "unavailable"
    assert "unloading: completeness unavailable" in valid["detail"]


async def test_an_unavailable_identity_leaves_evidence_untied(client, auth, db) -> None:
    decl, insp, head = await _inspection(client, auth)
    await _all_pass(db, insp, skip="exterior")
    await add_validated_recording(db, insp, "exterior", "unavailable", checks=with_check(
        "exterior", "identity", verdict="unavailable", code="model_unavailable"))
    tied = cond(await _gate(client, head, decl), "evidence_tied")
    assert tied["met"] is False and tied["reason"] == "tie_check_unavailable"
    assert tied["params"]["check"] == "identity"


async def test_warn_satisfies_only_where_the_policy_accepts_it(client, auth, db) -> None:
    decl, insp, head = await _inspection(client, auth)
    await _all_pass(db, insp, skip="unloading")
    await add_validated_recording(db, insp, "unloading", "warn", checks=with_check(
        "unloading", "continuity", verdict="warn", code="scene_change"))
    assert cond(await _gate(client, head, decl), "evidence_valid")["met"] is True  # default: yes
    await add_validated_recording(db, insp, "unloading", "warn", checks=with_check(
        "unloading", "completeness", verdict="warn", code="idle_stretch"))
    valid = cond(await _gate(client, head, decl), "evidence_valid")
    assert valid["met"] is False and valid["reason"] == "warn_not_accepted"  # default: no
    await db.execute("""UPDATE posts SET policy = jsonb_set(policy, '{accept_warn}',
                        '{"completeness": true}'::jsonb) WHERE code = 'ALAKOL'""")
    assert cond(await _gate(client, head, decl), "evidence_valid")["met"] is True
    await db.execute("""UPDATE posts SET policy = jsonb_set(policy, '{accept_warn}',
                        '{"continuity": false}'::jsonb) WHERE code = 'ALAKOL'""")
    await add_validated_recording(db, insp, "unloading", "warn", checks=with_check(
        "unloading", "continuity", verdict="warn"))
    assert cond(await _gate(client, head, decl), "evidence_valid")["met"] is False


async def test_a_missing_or_renamed_check_satisfies_nothing(client, auth, db) -> None:
    decl, insp, head = await _inspection(client, auth)
    await _all_pass(db, insp, skip="exterior")
    no_identity = [c for c in report_checks("exterior") if c["name"] != "identity"]
    await add_validated_recording(db, insp, "exterior", "pass", checks=no_identity)
    gate = await _gate(client, head, decl)
    assert cond(gate, "evidence_valid")["reason"] == "checks_missing"
    assert cond(gate, "evidence_valid")["params"]["checks"] == "identity"
    assert cond(gate, "evidence_tied")["reason"] == "tie_check_missing"
    renamed = with_check("exterior", "identity", name="identity_v2")
    await add_validated_recording(db, insp, "exterior", "pass", checks=renamed)
    gate = await _gate(client, head, decl)
    assert cond(gate, "evidence_valid")["reason"] == "report_unreadable"
    assert cond(gate, "evidence_tied")["met"] is False
    await add_validated_recording(db, insp, "exterior", "pass")
    gate = await _gate(client, head, decl)
    assert cond(gate, "evidence_valid")["met"] and cond(gate, "evidence_tied")["met"]


async def test_needs_confirmation_waits_for_an_attestation_of_the_latest_version(client, auth, db) -> None:
    decl, insp, head = await _inspection(client, auth)
    await _all_pass(db, insp, skip="unloading")
    advisory = with_check("unloading", "completeness", verdict="warn", needs_confirmation=True,
                          code="bay_empty_unconfirmed")
    rec = await add_validated_recording(db, insp, "unloading", "warn", checks=advisory)
    valid = cond(await _gate(client, head, decl), "evidence_valid")
    assert valid["met"] is False and valid["reason"] == "check_needs_confirmation"
    assert valid["params"]["recording_id"] == rec and valid["params"]["report_version"] == 1

    head_id = await user_id(db, "head.alakol")
    attest = ("INSERT INTO check_attestations (recording_id, report_version, check_name, decision,"
              " reason, actor_id) VALUES ($1, $2, 'completeness', $3, $4, $5)")
    await db.execute(attest, rec, 1, "confirmed", None, head_id)
    gate = await _gate(client, head, decl)
    assert cond(gate, "evidence_valid")["met"] is True  # an attestation, not an override

    # A new report version needs its own answer; a rejection fails the check.
    await db.execute("INSERT INTO validation_reports (recording_id, verdict, report) VALUES ($1, 'warn', $2)",
                     rec, {"verdict": "warn", "checks": advisory, "pipeline_version": "t", "models": []})
    assert cond(await _gate(client, head, decl), "evidence_valid")["reason"] == "check_needs_confirmation"
    await db.execute(attest, rec, 2, "rejected", "груз остался в кузове", head_id)
    valid = cond(await _gate(client, head, decl), "evidence_valid")
    assert valid["met"] is False and valid["reason"] == "check_rejected"


async def test_reports_are_versions_never_overwritten(client, auth, db) -> None:
    _decl, insp, head = await _inspection(client, auth)
    rec = await add_validated_recording(db, insp, "exterior", "fail")
    await db.execute("INSERT INTO validation_reports (recording_id, verdict, report) VALUES ($1, 'pass', $2)",
                     rec, {"verdict": "pass", "checks": report_checks("exterior"),
                           "pipeline_version": "t", "models": []})
    versions = await db.fetch("SELECT version, verdict FROM validation_report_versions "
                              "WHERE recording_id = $1 ORDER BY version", rec)
    assert [(r["version"], r["verdict"]) for r in versions] == [(1, "fail"), (2, "pass")]
    latest = await db.fetchrow("SELECT version, verdict FROM validation_reports WHERE recording_id = $1", rec)
    assert (latest["version"], latest["verdict"]) == (2, "pass")
    got = (await client.get(f"/api/recordings/{rec}", headers=head)).json()
    assert got["validation"]["version"] == 2 and got["validation"]["verdict"] == "pass"
    for sql in ("UPDATE validation_report_versions SET verdict = 'pass' WHERE recording_id = $1",
                "DELETE FROM validation_report_versions WHERE recording_id = $1"):
        try:
            async with db.transaction():
                await db.execute(sql, rec)
        except asyncpg.InsufficientPrivilegeError:
            continue
        raise AssertionError(f"{sql} was allowed")
