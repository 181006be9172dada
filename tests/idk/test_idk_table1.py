"""Table 1 of the Zhetisu analysis: the scans as CSV and XLSX, in the post's local time.

Each row is №, composition, wagon, the post-local date and time (stated as such), image id,
then verdict, operators and linked declarations. `from`/`to` are the post's local days, so a
scan at 19:30 UTC falls on the next day in Almaty (UTC+05:00); a post may say another zone.
Post staff export their own post only; the declaration system's account is not let in.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from openpyxl import load_workbook

from contract.numbers import wagon_check_digit
from tests.idk.test_idk_linking import declare
from tests.idk.test_idk_scans import uploaded

URL = "/api/idk/scans/export"


def unique_wagon() -> str:
    first7 = f"{random.randrange(1_000_000, 9_999_999)}"
    return first7 + str(wagon_check_digit(first7))


def unique_composition() -> str:
    return f"T1-{random.randrange(10**9)}"


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body[3:].decode())))


async def export(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, str]]:
    resp = await client.get(URL, params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    return rows_of(resp.content)


async def two_scans(client: Any, auth: Any) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A composition of two wagons, either side of Almaty's midnight; the first linked and cleared."""
    op = await auth("idk.altynkol")
    comp, wagon = unique_composition(), unique_wagon()
    decl = await declare(client, auth, wagons=[wagon], containers=[])
    first = await uploaded(client, op, composition_number=comp, wagon_number=wagon,
                           container_numbers="", scanned_at="2026-11-22T18:30:00Z")
    second = await uploaded(client, op, composition_number=comp, wagon_number=unique_wagon(),
                            container_numbers="", scanned_at="2026-11-22T19:30:00+00:00")
    resp = await client.post(f"/api/idk/scans/{first['id']}/verdict", json={"verdict": "clear"},
                             headers=op)
    assert resp.status_code == 200, resp.text
    return comp, decl, first, second


async def test_csv_rows_in_almaty_time_with_verdict_operators_and_links(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    comp, decl, first, second = await two_scans(client, auth)
    resp = await client.get(URL, params={"composition": comp}, headers=await auth("head.altynkol"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="table1-ALTYNKOL-{comp}.csv"')
    header = next(csv.reader(io.StringIO(resp.content[3:].decode())))
    assert header[:7] == ["no", "composition_number", "wagon_number", "date (post local time)",
                          "time (post local time)", "image_id", "timezone"]
    rows = rows_of(resp.content)
    assert [r["image_id"] for r in rows] == [first["image_id"], second["image_id"]]
    a, b = rows
    assert (a["no"], a["date (post local time)"], a["time (post local time)"]) == (
        "1", "22.11.2026", "23:30:00")
    assert (b["no"], b["date (post local time)"], b["time (post local time)"]) == (
        "2", "23.11.2026", "00:30:00")
    assert a["timezone"] == "Asia/Almaty (UTC+0500)" and a["post"] == "ALTYNKOL"
    assert a["composition_number"] == comp and a["wagon_number"] == first["wagon_number"]
    assert a["verdict"] == "clear" and a["verdict_by_login"] == "idk.altynkol"
    assert a["verdict_at"].endswith("+05:00")
    assert a["uploaded_by_login"] == "idk.altynkol" and a["linked_declarations"] == decl["number"]
    assert b["verdict"] == "pending" and b["verdict_by_login"] == "" and b["linked_declarations"] == ""
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'idk_scans.exported' AND object_id = $1",
        f"table1-ALTYNKOL-{comp}") == 1


async def test_from_and_to_are_the_posts_local_days(client, auth) -> None:  # type: ignore[no-untyped-def]
    comp, _, first, second = await two_scans(client, auth)
    op = await auth("idk.altynkol")
    # both scans are on 22.11 in UTC; in Almaty the second is on the 23rd
    late = await export(client, op, composition=comp, **{"from": "2026-11-23"})
    assert [r["image_id"] for r in late] == [second["image_id"]]
    early = await export(client, op, composition=comp, to="2026-11-22")
    assert [r["image_id"] for r in early] == [first["image_id"]]
    both = await export(client, op, composition=comp, **{"from": "2026-11-22", "to": "2026-11-23"})
    assert len(both) == 2
    assert await export(client, op, composition=comp, **{"from": "2026-11-24"}) == []
    resp = await client.get(URL, params={"from": "2026-11-23", "to": "2026-11-22"}, headers=op)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
    for bad in ({"format": "pdf"}, {"from": "yesterday"}, {"composition": "x" * 65}):
        resp = await client.get(URL, params=bad, headers=op)
        assert resp.status_code == 400, (bad, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")


async def test_a_post_that_says_another_zone_is_exported_in_it(client, auth, db) -> None:  # type: ignore[no-untyped-def]
    comp, _, first, _ = await two_scans(client, auth)
    await db.execute("UPDATE posts SET timezone = 'Europe/Moscow' WHERE code = 'ALTYNKOL'")
    try:
        rows = await export(client, await auth("auditor"), composition=comp, post_code="altynkol",
                            to="2026-11-22")
    finally:
        await db.execute("UPDATE posts SET timezone = 'Asia/Almaty' WHERE code = 'ALTYNKOL'")
    # 18:30 and 19:30 UTC are 21:30 and 22:30 in Moscow, both on the 22nd
    assert [(r["time (post local time)"], r["timezone"]) for r in rows] == [
        ("21:30:00", "Europe/Moscow (UTC+0300)"), ("22:30:00", "Europe/Moscow (UTC+0300)")]
    assert rows[0]["image_id"] == first["image_id"]


async def test_xlsx_has_the_same_table_and_no_formulas(client, auth) -> None:  # type: ignore[no-untyped-def]
    op = await auth("idk.altynkol")
    comp = "=HYPERLINK(1)" + unique_composition()
    scan = await uploaded(client, op, composition_number=comp, wagon_number=unique_wagon(),
                          container_numbers="", scanned_at="2026-11-22T05:00:00Z")
    csv_rows = await export(client, op, composition=comp)
    assert csv_rows[0]["composition_number"] == "'" + comp  # never run as a formula
    resp = await client.get(URL, params={"format": "xlsx", "composition": comp}, headers=op)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert '.xlsx"' in resp.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(resp.content))["table1"]
    table = [[c.value for c in row] for row in ws.iter_rows()]
    assert table[0][3:5] == ["date (post local time)", "time (post local time)"]
    assert len(table) == 2
    # the cell holds the text as it is, typed as a string (never a formula)
    assert table[1][:7] == [1, comp, scan["wagon_number"], "22.11.2026", "10:00:00",
                            scan["image_id"], "Asia/Almaty (UTC+0500)"]
    assert ws.cell(row=2, column=2).data_type == "s"


async def test_post_staff_export_their_own_post_only(client, auth) -> None:  # type: ignore[no-untyped-def]
    comp, _, first, second = await two_scans(client, auth)
    theirs = await export(client, await auth("idk.alakol"), composition=comp)
    assert theirs == []
    for login in ("idk.alakol", "head.alakol"):
        resp = await client.get(URL, params={"post_code": "ALTYNKOL"}, headers=await auth(login))
        assert resp.status_code == 404 and resp.json()["code"] == "not_found", login
    everyone = await export(client, await auth("admin"), composition=comp)
    assert {r["image_id"] for r in everyone} == {first["image_id"], second["image_id"]}
    resp = await client.get(URL, params={"post_code": "NOWHERE"}, headers=await auth("auditor"))
    assert resp.status_code == 404
    for login in ("keden", "insp.altynkol.1"):
        resp = await client.get(URL, headers=await auth(login))
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", login
    assert (await client.get(URL)).status_code == 401
