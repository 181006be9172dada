"""Portal reads over HTTP on the real database: an RFID or camera read binds to the scan of the
same scanner nearest in time, fills a wagon number the scanner did not send (and says where it
came from), never overwrites one it did, alerts the post's IDK operators when the numbers
disagree, keeps a misread without using it; bad reads are 422 problems with stable codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from backend.portal.service import bind_waiting_reads
from contract.numbers import wagon_check_digit
from tests.idk.test_idk_scans import SCANNED_AT, uploaded

SCANNER = "Nuctech MB1215DE"
AT = datetime.fromisoformat(SCANNED_AT)
_serial = iter(range(1000, 9999))


def wagon(first7: str | None = None) -> str:
    first7 = first7 or f"581{next(_serial):04d}"
    return first7 + str(wagon_check_digit(first7))


def misread(number: str) -> str:
    return number[:7] + str((int(number[7]) + 1) % 10)


def read(source: str = "rfid", seconds: float = 4.0, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"scanner": SCANNER, "reader_id": f"{source.upper()}-ALT-1",
                            "read_at": (AT + timedelta(seconds=seconds)).isoformat(),
                            "source": source, "confidence": 0.93}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


async def send(client: Any, auth: Any, body: dict[str, Any], login: str = "idk.altynkol") -> Any:
    return await client.post("/api/idk/portal-reads", json=body, headers=await auth(login))


async def numbers(client: Any, auth: Any, scan_id: str, login: str = "idk.altynkol") -> Any:
    return await client.get("/api/idk/portal-reads", params={"scan_id": scan_id},
                            headers=await auth(login))


async def disagreement_alerts(db: Any, scan_id: str) -> list[Any]:
    return list(await db.fetch(
        "SELECT a.id, array_agg(u.login ORDER BY u.login) AS logins FROM alerts a"
        " JOIN alert_recipients r ON r.alert_id = a.id JOIN users u ON u.id = r.user_id"
        " WHERE a.kind = 'portal_number_disagreement' AND a.object_id = $1 GROUP BY a.id",
        scan_id))


async def test_rfid_fills_a_missing_wagon_and_a_camera_that_differs_alerts(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    headers = await auth("idk.altynkol")
    scan = await uploaded(client, headers, wagon_number=None)
    assert scan["wagon_number"] == ""
    number = wagon()
    first = await send(client, auth, read(wagon_number=number))
    assert first.status_code == 201, first.text
    got = first.json()
    assert got["scan_id"] == scan["id"] and got["kind"] == "wagon" and got["number_valid"]
    replay = await send(client, auth, read(wagon_number=number))
    assert replay.status_code == 200 and replay.json()["id"] == got["id"]
    assert await db.fetchval("SELECT count(*) FROM portal_reads") == 1

    shown = (await numbers(client, auth, scan["id"])).json()
    assert shown["wagon_number"] == number and shown["wagon_number_source"] == "rfid"
    assert [r["source"] for r in shown["reads"]] == ["rfid"] and shown["disagreement"] is False
    one = await client.get(f"/api/idk/scans/{scan['id']}", headers=headers)
    assert one.json()["wagon_number"] == number
    assert await disagreement_alerts(db, scan["id"]) == []

    other = wagon()
    camera = await send(client, auth, read("camera", seconds=6, wagon_number=other))
    assert camera.status_code == 201 and camera.json()["scan_id"] == scan["id"]
    shown = (await numbers(client, auth, scan["id"])).json()
    # the first number stays; the camera's is kept beside it and the scan is flagged
    assert shown["wagon_number"] == number and shown["wagon_number_source"] == "rfid"
    assert shown["disagreement"] is True and len(shown["reads"]) == 2
    alerts = await disagreement_alerts(db, scan["id"])
    assert len(alerts) == 1 and "idk.altynkol" in alerts[0]["logins"]
    await send(client, auth, read("camera", seconds=7, wagon_number=other))
    assert len(await disagreement_alerts(db, scan["id"])) == 1  # once per scan


async def test_the_scanners_number_is_kept_and_checked_a_misread_is_kept_unused(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    number = wagon()
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number=number)
    agree = await send(client, auth, read(wagon_number=number))
    assert agree.status_code == 201 and agree.json()["scan_id"] == scan["id"]
    bad = await send(client, auth, read("camera", wagon_number=misread(number)))
    assert bad.status_code == 201 and bad.json()["number_valid"] is False
    shown = (await numbers(client, auth, scan["id"])).json()
    assert shown["wagon_number"] == number and shown["wagon_number_source"] == "scanner"
    assert shown["disagreement"] is False and len(shown["reads"]) == 2
    assert await disagreement_alerts(db, scan["id"]) == []

    # a container the scanner did not list, read by the camera, disagrees
    strange = await send(client, auth, read("camera", seconds=5, container_number="CSQU3054383"))
    assert strange.status_code == 201 and strange.json()["kind"] == "container"
    assert (await numbers(client, auth, scan["id"])).json()["disagreement"] is True
    assert len(await disagreement_alerts(db, scan["id"])) == 1


async def test_reads_bind_only_to_the_same_scanner_within_the_window(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number=None)
    late = await send(client, auth, read(seconds=600, wagon_number=wagon()))
    assert late.status_code == 201 and late.json()["scan_id"] is None
    elsewhere = await send(client, auth, read(scanner="Other XR", wagon_number=wagon()))
    assert elsewhere.status_code == 201 and elsewhere.json()["scan_id"] is None
    assert await db.fetchval("SELECT wagon_number FROM idk_scans WHERE id = $1", scan["id"]) == ""
    # another post's operator sends for their own post: it never binds to this post's scan
    alakol = await send(client, auth, read(wagon_number=wagon()), login="idk.alakol")
    assert alakol.status_code == 201 and alakol.json()["post_code"] == "ALAKOL"
    assert alakol.json()["scan_id"] is None


async def test_who_may_send_and_read(client, auth) -> None:  # type: ignore[no-untyped-def]
    scan = await uploaded(client, await auth("idk.altynkol"))
    for login in ("insp.altynkol.1", "head.altynkol", "auditor", "keden"):
        resp = await send(client, auth, read(wagon_number=wagon()), login=login)
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", login
    cross = await send(client, auth, read(wagon_number=wagon(), post_code="ALAKOL"))
    assert cross.status_code == 403
    admin = await send(client, auth, read(wagon_number=wagon()), login="admin")
    assert admin.status_code == 422 and admin.json()["code"] == "invalid_portal_read"
    admin = await send(client, auth, read(wagon_number=wagon(), post_code="ALTYNKOL"),
                       login="admin")
    assert admin.status_code == 201 and admin.json()["scan_id"] == scan["id"]
    assert (await numbers(client, auth, scan["id"], "head.altynkol")).status_code == 200
    other = await numbers(client, auth, scan["id"], "head.alakol")
    assert other.status_code == 404 and other.json()["code"] == "not_found"


async def test_reads_sent_before_the_scan_bind_when_it_is_registered(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    number, other = wagon(), wagon()
    camera = await send(client, auth, read("camera", seconds=-3, wagon_number=other,
                                           confidence=0.99))
    rfid = await send(client, auth, read(seconds=-2, wagon_number=number, confidence=0.6))
    far = await send(client, auth, read(seconds=-300, wagon_number=wagon()))
    assert all(r.json()["scan_id"] is None for r in (camera, rfid, far))
    scan = await uploaded(client, await auth("idk.altynkol"), wagon_number=None)
    # registering the scan bound them (in the registration's own transaction)
    shown = (await numbers(client, auth, scan["id"])).json()
    # RFID before the camera, however confident the camera was
    assert shown["wagon_number"] == number and shown["wagon_number_source"] == "rfid"
    assert {r["id"] for r in shown["reads"]} == {camera.json()["id"], rfid.json()["id"]}
    assert shown["disagreement"] is True and len(await disagreement_alerts(db, scan["id"])) == 1
    async with db.transaction():
        assert await bind_waiting_reads(db, scan["id"]) == 0  # nothing bound twice
    assert await db.fetchval("SELECT scan_id FROM portal_reads WHERE id = $1",
                             far.json()["id"]) is None


@pytest.mark.parametrize(("over", "code"), [
    ({}, "invalid_portal_read"),  # neither number
    ({"wagon_number": "58123456", "container_number": "CSQU3054383"}, "invalid_portal_read"),
    ({"wagon_number": "5812345"}, "invalid_portal_read"),
    ({"container_number": "CSQ3054383"}, "invalid_portal_read"),
    ({"wagon_number": "58123456", "source": "radar"}, "invalid_request"),
    ({"wagon_number": "58123456", "confidence": 1.5}, "invalid_request"),
    ({"wagon_number": "58123456", "colour": "red"}, "invalid_request"),
])
async def test_bad_reads_are_problems(client, auth, over, code) -> None:  # type: ignore[no-untyped-def]
    resp = await send(client, auth, read(**over))
    assert resp.status_code in (400, 422), resp.text
    assert resp.json()["code"] == code, resp.text


async def test_a_wagon_number_filled_by_a_read_links_the_scan_and_a_suspicion_reaches_it(
    client, auth, db,
) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import create_declaration

    decl = await create_declaration(client, await auth("keden"), post="ALTYNKOL", corridor="green")
    number = decl["transport"]["wagons"][0]
    operator = await auth("idk.altynkol")
    # the scanner sent no wagon number and a container of another load: nothing links
    scan = await uploaded(client, operator, wagon_number=None)
    assert scan["linked_declaration_ids"] == []
    verdict = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                                json={"verdict": "suspicion", "risk_areas": [
                                    {"x": 1, "y": 1, "w": 5, "h": 5, "note": "плотный блок"}]})
    assert verdict.status_code in (200, 201), verdict.text
    assert (await send(client, auth, read(wagon_number=number))).status_code == 201
    linked = (await client.get(f"/api/idk/scans/{scan['id']}", headers=operator)).json()
    assert linked["linked_declaration_ids"] == [decl["id"]]
    after = (await client.get(f"/api/declarations/{decl['id']}", headers=await auth("keden"))).json()
    assert after["inspection_required"] is True and after["corridor"] == "red", after
