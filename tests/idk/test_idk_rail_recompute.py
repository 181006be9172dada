"""Rail wagon numbers by their check digit (a declaration with a wrong one is refused; a
scanner's wrong one is kept, flagged and alerted to the IDK operator), and the X-ray model's
assessment judged again whenever a scan's declarations change, every version kept."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from backend.idk.xray import XraySpec
from contract.numbers import is_valid_wagon
from tests.helpers import declaration_payload, wagon
from tests.idk.test_idk_assist import FRESH, REASON, boxes_line, declare, drain, scan_of, scanned
from tests.idk.test_idk_batches import image, row, send
from tests.idk.test_idk_scans import uploaded

BAD_WAGON = "58900001"  # the check digit of 5890000 is 2


async def test_a_declaration_with_a_wrong_check_digit_is_refused(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    assert not is_valid_wagon(BAD_WAGON) and is_valid_wagon(wagon("5890000"))
    body = declaration_payload("ALTYNKOL", "green")
    body["transport"] = {"wagons": [wagon("5890001"), "5890-0001", "RZD-77"], "containers": []}
    resp = await client.post("/api/declarations", json=body, headers=await auth("keden"))
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert problem["code"] == "invalid_wagon_number" and problem["numbers"] == [BAD_WAGON]
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert await db.fetchval("SELECT count(*) FROM declarations WHERE number = $1",
                             body["number"]) == 0
    body["transport"]["wagons"] = [wagon("5890001"), wagon("5890000"), "RZD-77"]
    ok = await client.post("/api/declarations", json=body, headers=await auth("keden"))
    assert ok.status_code == 201, ok.text


async def _operator_alerts(client: Any, auth: Any, scan_id: str) -> list[dict[str, Any]]:
    alerts = (await client.get("/api/alerts", headers=await auth("idk.altynkol"))).json()
    return [a for a in alerts if a["kind"] == "invalid_wagon_number" and a["object_id"] == scan_id]


async def test_a_scan_with_a_wrong_wagon_number_is_kept_flagged_and_alerted(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    scan = await uploaded(client, operator, wagon_number="5890 0001", container_numbers="")
    assert scan["wagon_number"] == BAD_WAGON and scan["wagon_number_invalid"] is True
    [alert] = await _operator_alerts(client, auth, scan["id"])
    assert BAD_WAGON in alert["title"]
    assert alert["code"] == "invalid_wagon_number" and alert["params"]["wagon"] == BAD_WAGON
    recipients = await db.fetch(
        "SELECT u.login FROM alert_recipients r JOIN users u ON u.id = r.user_id "
        "WHERE r.alert_id = $1 ORDER BY u.login", alert["id"])
    assert "idk.altynkol" in [r["login"] for r in recipients]
    assert "idk.alakol" not in [r["login"] for r in recipients]

    good = await uploaded(client, operator, wagon_number=wagon("5890002"), container_numbers="")
    assert good["wagon_number_invalid"] is False
    assert await _operator_alerts(client, auth, good["id"]) == []
    # a replay is the same scan, not a second alert
    again = await client.get(f"/api/idk/scans/{scan['id']}", headers=operator)
    assert again.json()["wagon_number_invalid"] is True


async def test_a_batch_row_with_a_wrong_wagon_number_is_created_and_flagged(client, auth) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    rows = [row("RAIL-B-0", wagon("5891000")), row("RAIL-B-1", "58910011")]
    assert wagon("5891001") != "58910011"
    resp = await send(client, operator, rows, {i: (f"w{i}.png", image(300 + i), "image/png")
                                               for i in range(2)})
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert [r["scan"]["wagon_number_invalid"] for r in results] == [False, True]
    assert len(await _operator_alerts(client, auth, results[1]["scan"]["id"])) == 1


# --- the assessment follows the scan's declarations ----------------------------------------


async def _history(client: Any, auth: Any, scan_id: str, who: str = "idk.altynkol") -> Any:
    resp = await client.get(f"/api/idk/scans/{scan_id}/assessments", headers=await auth(who))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_consistency_is_judged_again_on_link_and_unlink_with_history(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    png, _, _ = scanned(XraySpec(seed=FRESH + 40, width=1600, height=560, packaging="empty"))
    number = wagon("5892000")
    scan = await uploaded(client, operator, image=png, wagon_number=number, container_numbers="")
    assert await _history(client, auth, scan["id"]) == []
    await drain(app, db_url, tmp_path)
    alone = await scan_of(client, auth, scan["id"])
    assert alone["assessment"]["consistency"]["score"] is None
    assert alone["assessment_version"] == 1

    # the declaration arrives after the model ran: judged at once, no worker needed
    decl = await declare(client, auth, [number], lines=[boxes_line(40, 36000)])
    judged = await scan_of(client, auth, scan["id"])
    assert judged["assessment_version"] == 2
    assert judged["assessment"]["declaration_ids"] == [decl["id"]]
    assert judged["assessment"]["consistency"]["score"] < 0.5  # declared full, looks empty
    assert judged["assessment"]["flagged"]

    # unlinking judges again: nothing to compare with
    resp = await client.delete(f"/api/idk/scans/{scan['id']}/links/{decl['id']}",
                               params={"reason": "Связан ошибочно, другой состав"}, headers=operator)
    assert resp.status_code == 200, resp.text
    assert resp.json()["assessment"]["consistency"]["score"] is None
    # a manual link brings it back
    resp = await client.post(f"/api/idk/scans/{scan['id']}/links", headers=operator,
                             json={"declaration_id": decl["id"], "reason": REASON})
    assert resp.status_code == 200, resp.text
    assert resp.json()["assessment"]["consistency"]["score"] < 0.5

    history = await _history(client, auth, scan["id"], who="auditor")
    assert [(v["version"], v["why"]) for v in history] == [
        (1, "registered"), (2, "linked"), (3, "unlinked"), (4, "linked")]
    assert [v["assessment"]["declaration_ids"] for v in history] == [
        [], [decl["id"]], [], [decl["id"]]]
    assert history[-1]["assessment"] == resp.json()["assessment"]
    # the image opinion is the model's, once: only the judgement of the goods changed
    assert len({str(v["assessment"]["anomalies"]) for v in history}) == 1
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("UPDATE idk_assessments SET why = 'x' WHERE scan_id = $1", scan["id"])
    await drain(app, db_url, tmp_path)  # nothing left for the worker
    assert len(await _history(client, auth, scan["id"])) == 4
    # another post's operator does not read it
    other = await client.get(f"/api/idk/scans/{scan['id']}/assessments",
                             headers=await auth("idk.alakol"))
    assert other.status_code == 404
