"""The audit log is append-only and its hash chain names the first tampered row."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest

from tests.helpers import create_declaration


async def _events(client, auth) -> None:  # type: ignore[no-untyped-def]
    keden = await auth("keden")
    for _ in range(3):
        await create_declaration(client, keden, post="ALAKOL", corridor="red")


async def test_chain_verifies_and_lists_events(client, auth) -> None:
    await _events(client, auth)
    resp = await client.get("/api/audit/verify", headers=await auth("auditor"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["ok"] is True and body["length"] > 10 and len(body["head"]) == 64
    events = await client.get("/api/audit?object_type=declaration", headers=await auth("auditor"))
    assert {e["action"] for e in events.json()} >= {"declaration.created", "declaration.inspection_required"}
    seqs = [e["seq"] for e in events.json()]
    assert seqs == sorted(seqs)


async def test_update_and_delete_refused_by_trigger(client, auth, db: asyncpg.Connection) -> None:
    await _events(client, auth)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("UPDATE audit_events SET action = 'x' WHERE seq = 3")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("DELETE FROM audit_events WHERE seq = 3")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute("TRUNCATE audit_events")


async def test_tampered_payload_detected_at_that_row(client, auth, db: asyncpg.Connection) -> None:
    await _events(client, auth)
    target = await db.fetchval(
        "SELECT seq FROM audit_events WHERE action = 'declaration.created' ORDER BY seq LIMIT 1")
    await db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
    await db.execute(
        "UPDATE audit_events SET payload = jsonb_set(payload, '{corridor}', '\"green\"') WHERE seq = $1",
        target)
    await db.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
    body = (await client.get("/api/audit/verify", headers=await auth("auditor"))).json()
    assert body["ok"] is False
    assert body["first_bad"] == target
    assert body["length"] == target - 1


async def test_deleted_row_detected_at_the_gap(client, auth, db: asyncpg.Connection) -> None:
    await _events(client, auth)
    total = await db.fetchval("SELECT max(seq) FROM audit_events")
    victim = total // 2
    await db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
    await db.execute("DELETE FROM audit_events WHERE seq = $1", victim)
    await db.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
    body = (await client.get("/api/audit/verify", headers=await auth("admin"))).json()
    assert body["ok"] is False and body["first_bad"] == victim


async def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(client, auth, db) -> None:
    """A forger who recomputes the edited row's own hash still breaks the row after it."""
    from backend.audit.chain import canonical_event, link

    await _events(client, auth)
    r = await db.fetchrow("SELECT * FROM audit_events WHERE seq = 4")
    payload = dict(r["payload"]) | {"forged": True}
    new_hash = link(bytes(r["prev_hash"]), canonical_event(
        4, r["at"], r["actor_id"], r["action"], r["object_type"], r["object_id"], payload))
    await db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
    await db.execute("UPDATE audit_events SET payload = $1, hash = $2 WHERE seq = 4", payload, new_hash)
    await db.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete")
    body = (await client.get("/api/audit/verify", headers=await auth("auditor"))).json()
    assert body["ok"] is False and body["first_bad"] == 5


async def test_cli_audit_verify(client, auth, db_url: str, tmp_path, db) -> None:
    await _events(client, auth)
    env = {"DATABASE_URL": db_url, "DOSMOTR_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "backend.cli", "audit", "verify"], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "audit chain ok" in ok.stdout
    await db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete")
    await db.execute("UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 2")
    bad = subprocess.run([sys.executable, "-m", "backend.cli", "audit", "verify"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "BROKEN at event 2" in bad.stdout


async def test_events_name_their_actor_for_readers(client, auth) -> None:
    await _events(client, auth)
    events = (await client.get("/api/audit?object_type=declaration", headers=await auth("auditor"))).json()
    created = next(e for e in events if e["action"] == "declaration.created")
    assert created["actor_login"] == "keden" and created["actor_name"]
