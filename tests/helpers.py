"""Builders shared by the API tests."""

from __future__ import annotations

import itertools
from typing import Any

import asyncpg

from contract.numbers import wagon_check_digit

_numbers = itertools.count(1)


def wagon(first7: str) -> str:
    """A valid 8-digit rail wagon number: seven digits and their check digit."""
    return first7 + str(wagon_check_digit(first7))


def declaration_payload(post: str = "ALAKOL", corridor: str = "green", **over: Any) -> dict[str, Any]:
    n = next(_numbers)
    transport: dict[str, Any]
    if post == "ALTYNKOL":
        transport = {"wagons": [wagon(f"5{n:06d}")], "containers": [f"MSKU{n:07d}"]}
    else:
        transport = {"vehicle_plate": f"{n:03d} ABC 02", "wagons": [], "containers": []}
    body: dict[str, Any] = {
        "number": f"50508/221126/{n:07d}",
        "procedure": "import",
        "post_code": post,
        "declarant": "ТОО «Восток Трейд»",
        "corridor": corridor,
        "transport": transport,
        "lines": [
            {"hs_code": "8471300000", "description": "Ноутбуки", "packaging": "коробки",
             "places": 12, "gross_kg": 240.5, "net_kg": 200.0},
            {"hs_code": "6403990000", "description": "Обувь", "packaging": "мешки",
             "places": 8, "gross_kg": 160, "net_kg": 150},
        ],
    }
    body.update(over)
    return body


async def create_declaration(client: Any, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    resp = await client.post("/api/declarations", json=declaration_payload(**kw), headers=headers)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def user_id(db: asyncpg.Connection, login: str) -> str:
    return str(await db.fetchval("SELECT id FROM users WHERE login = $1", login))


def report_checks(phase: str, verdict: str = "pass") -> list[dict[str, Any]]:
    """The checks of a complete report of `phase`; its phase-specific check has `verdict`."""
    from contract.phases import required_checks

    names = required_checks(phase)
    return [
        {"name": n, "verdict": verdict if n == names[-1] else "pass", "score": 1.0,
         "threshold": 1.0, "detail": "test", "times": []}
        for n in names
    ]


async def add_validated_recording(
    db: asyncpg.Connection, inspection_id: str, phase: str, verdict: str = "pass",
    checks: list[dict[str, Any]] | None = None,
) -> str:
    """Stand in for intake + pipeline (their own tests cover them): a validated recording row."""
    version = await db.fetchval(
        "SELECT coalesce(max(version), 0) + 1 FROM recordings WHERE inspection_id = $1 AND phase = $2",
        inspection_id, phase,
    )
    rec_id = await db.fetchval(
        """INSERT INTO recordings (inspection_id, phase, version, client_id, manifest, signature, state)
           VALUES ($1, $2, $3, gen_random_uuid()::text, '{}'::jsonb, '', 'validated') RETURNING id""",
        inspection_id, phase, version,
    )
    if checks is None:  # a complete report: every check the phase requires, the last one
        checks = report_checks(phase, verdict)  # carrying the verdict
    report = {"verdict": verdict, "checks": checks, "pipeline_version": "test", "models": []}
    await db.execute(
        "INSERT INTO validation_reports (recording_id, verdict, report) VALUES ($1, $2, $3)",
        rec_id, verdict, report,
    )
    return str(rec_id)
