"""Scanner calibration over HTTP: the admin sets it (each change a new version, audited, the
old ones kept and immutable); a post head reads their own post's scanners, another post's are
not there for them; bad figures are 422 problems with stable codes."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

CALIBRATION = {"post_code": "ALTYNKOL", "pitch_x_mm": 8.0, "pitch_y_mm": 6.5,
               "air_level": 60000.0, "dark_level": 120.0}


async def put(client: Any, auth: Any, scanner: str, body: dict[str, Any],
              login: str = "admin") -> Any:
    return await client.put(f"/api/idk/scanners/{scanner}", json=body, headers=await auth(login))


async def test_admin_sets_versions_and_the_post_head_reads_their_own(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    first = await put(client, auth, "ALT-XR-1", {"post_code": "ALTYNKOL",
                                                "raw_export_required": True, "reason": "new"})
    assert first.status_code == 200, first.text
    got = first.json()["scanner"]
    assert got["version"] == 1 and got["calibrated"] is False and got["raw_export_required"]
    second = await put(client, auth, "ALT-XR-1", {**CALIBRATION, "reason": "after service"})
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["scanner"]["version"] == 2 and body["scanner"]["calibrated"] is True
    assert body["scanner"]["pitch_x_mm"] == 8.0 and body["scanner"]["pitch_y_mm"] == 6.5
    assert body["scanner"]["raw_export_required"] is False
    assert body["scanner"]["set_by_name"]
    assert [v["version"] for v in body["history"]] == [1, 2]
    assert body["history"][0]["raw_export_required"] and body["history"][0]["pitch_x_mm"] is None

    head = await client.get("/api/idk/scanners/ALT-XR-1", headers=await auth("head.altynkol"))
    assert head.status_code == 200 and head.json()["scanner"]["version"] == 2
    other = await client.get("/api/idk/scanners/ALT-XR-1", headers=await auth("head.alakol"))
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    events = await db.fetch("SELECT payload FROM audit_events WHERE action = 'idk_scanner.calibrated'"
                            " AND object_id = 'ALT-XR-1' ORDER BY seq")
    assert len(events) == 2
    with pytest.raises(asyncpg.PostgresError):
        await db.execute("UPDATE scanner_versions SET pitch_x_mm = 1 WHERE scanner_id = 'ALT-XR-1'")


async def test_only_the_admin_sets_and_unknown_scanners_are_404(client, auth) -> None:  # type: ignore[no-untyped-def]
    for login in ("head.altynkol", "idk.altynkol", "auditor", "insp.altynkol.1"):
        resp = await put(client, auth, "ALT-XR-2", CALIBRATION, login)
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", login
    for login in ("idk.altynkol", "insp.altynkol.1", "keden"):
        resp = await client.get("/api/idk/scanners/ALT-XR-2", headers=await auth(login))
        assert resp.status_code == 403, login
    resp = await client.get("/api/idk/scanners/ALT-XR-2", headers=await auth("admin"))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


@pytest.mark.parametrize(("change", "code"), [
    ({"air_level": 100.0, "dark_level": 120.0}, "invalid_calibration"),
    ({"dark_level": None}, "invalid_calibration"),
    ({"pitch_y_mm": None}, "invalid_calibration"),
    ({"post_code": "NOWHERE"}, "invalid_calibration"),
    ({"pitch_x_mm": -1.0}, "invalid_request"),
    ({"colour": "red"}, "invalid_request"),
])
async def test_bad_calibration_is_a_problem(client, auth, change, code) -> None:  # type: ignore[no-untyped-def]
    resp = await put(client, auth, "ALT-XR-3", {**CALIBRATION, **change})
    assert resp.status_code in (400, 422), resp.text
    assert resp.json()["code"] == code, resp.text
