"""The X-ray assessment compares a scan with the railway's pre-arrival goods of its wagon while
no declaration is linked: judged again when the consist arrives after the model ran, and a
declaration arriving later takes over from the consist."""

from __future__ import annotations

from typing import Any

from backend.idk.xray import XraySpec
from tests.helpers import wagon
from tests.idk.test_idk_assist import FRESH, boxes_line, declare, drain, scan_of, scanned
from tests.idk.test_idk_scans import uploaded


def _consist(train: str, number: str, kg: float) -> dict[str, Any]:
    return {"train_number": train, "station": "ALTYNKOL", "expected_at": "2026-11-22T09:00:00+06:00",
            "wagons": [{"position": 1, "wagon_number": number,
                        "goods": [{"hs_code": "8471300000", "description": "Ноутбуки",
                                   "packaging": "картонные коробки", "places": 40,
                                   "gross_kg": kg}]}]}


async def _history(client: Any, auth: Any, scan_id: str) -> list[tuple[int, str]]:
    resp = await client.get(f"/api/idk/scans/{scan_id}/assessments",
                            headers=await auth("idk.altynkol"))
    assert resp.status_code == 200, resp.text
    return [(v["version"], v["why"]) for v in resp.json()]


async def test_an_empty_wagon_announced_full_is_flagged_until_a_declaration_takes_over(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    png, _, _ = scanned(XraySpec(seed=FRESH + 71, width=1600, height=560, packaging="empty"))
    number, train = wagon("5893100"), "PA-7001"
    scan = await uploaded(client, operator, image=png, wagon_number=number, container_numbers="",
                          composition_number=train)
    await drain(app, db_url, tmp_path)
    assert (await scan_of(client, auth, scan["id"]))["assessment"]["consistency"]["score"] is None

    # the consist arrives after the model ran: judged against the pre-arrival goods at once
    resp = await client.post("/api/rail/consists", json=_consist(train, number, 36000),
                             headers=await auth("keden"))
    assert resp.status_code == 201, resp.text
    judged = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert judged["consistency"]["score"] < 0.5 and judged["flagged"]
    assert judged["declaration_ids"] == []
    assert await _history(client, auth, scan["id"]) == [(1, "registered"), (2, "pre_arrival")]

    mass = {c["name"]: c["declared"] for c in judged["consistency"]["checks"]}.get("mass")
    assert mass in (None, 36000)
    # a declaration for the wagon takes over: its goods are what the image is compared with now
    decl = await declare(client, auth, [number], lines=[boxes_line(10, 12000)])
    now = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert now["declaration_ids"] == [decl["id"]]
    declared = {c["name"]: c["declared"] for c in now["consistency"]["checks"]}
    assert declared != {c["name"]: c["declared"] for c in judged["consistency"]["checks"]}
    assert await _history(client, auth, scan["id"]) == [
        (1, "registered"), (2, "pre_arrival"), (3, "linked")]


async def test_the_model_run_after_the_consist_compares_with_it(
    client, auth, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    number, train = wagon("5893101"), "PA-7002"
    resp = await client.post("/api/rail/consists", json=_consist(train, number, 36000),
                             headers=await auth("keden"))
    assert resp.status_code == 201, resp.text
    png, _, _ = scanned(XraySpec(seed=FRESH + 72, width=1600, height=560, packaging="empty"))
    scan = await uploaded(client, operator, image=png, wagon_number=number, container_numbers="",
                          composition_number=train)
    await drain(app, db_url, tmp_path)
    got = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert got["consistency"]["score"] < 0.5 and got["declaration_ids"] == []
    # another train's scan of the same wagon number is not compared with this consist
    other = await uploaded(client, operator, image=png, wagon_number=number, container_numbers="",
                           composition_number="PA-OTHER")
    await drain(app, db_url, tmp_path)
    assert (await scan_of(client, auth, other["id"]))["assessment"]["consistency"]["score"] is None
