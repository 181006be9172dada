"""Decision exports (CSV and XLSX) name the official who released, and the static export path
is not taken for a declaration id."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from tests.helpers import create_declaration

OVERRIDE = "=HYPERLINK(\"http://x\") груз скоропортящийся, досмотр проведён на месте"


async def _decisions(client: Any, auth: Any) -> dict[str, dict[str, Any]]:
    keden, head = await auth("keden"), await auth("head.alakol")
    green = await create_declaration(client, keden, post="ALAKOL", corridor="green")
    red = await create_declaration(client, keden, post="ALAKOL", corridor="red")
    other = await create_declaration(client, keden, post="ALTYNKOL", corridor="red")
    pending = await create_declaration(client, keden, post="ALAKOL", corridor="green")
    assert (await client.post(f"/api/declarations/{green['id']}/release", json={"comment": "ok"},
                              headers=head)).status_code == 200
    assert (await client.post(f"/api/declarations/{red['id']}/release", json={"override_reason": OVERRIDE},
                              headers=head)).status_code == 200
    assert (await client.post(f"/api/declarations/{other['id']}/refuse",
                              json={"reason": "Несоответствие товара декларации"},
                              headers=await auth("head.altynkol"))).status_code == 200
    return {"green": green, "red": red, "other": other, "pending": pending}


def _csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


async def test_csv_names_the_releasing_official(client, auth, db) -> None:
    d = await _decisions(client, auth)
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    resp = await client.get("/api/declarations/export", params={"format": "csv"}, headers=await auth("auditor"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"].startswith('attachment; filename="decisions-all-posts')
    rows = {r["number"]: r for r in _csv(resp.text)}
    assert d["pending"]["number"] not in rows  # only decisions
    green, red, other = rows[d["green"]["number"]], rows[d["red"]["number"]], rows[d["other"]["number"]]
    assert (green["released_by_name"], green["released_by_login"]) == (head_name, "head.alakol")
    assert green["decision"] == "released" and green["override"] == "no" and green["comment"] == "ok"
    assert green["inspection_outcome"] == "not required" and green["post"] == "ALAKOL"
    assert datetime.fromisoformat(green["released_at"]).tzinfo is not None
    assert red["override"] == "yes" and red["override_reason"] == "'" + OVERRIDE  # never a formula
    assert red["inspection_outcome"].startswith("assigned; evidence none; counted -")
    assert red["corridor"] == "red" and red["procedure"] == "import"
    assert other["decision"] == "refused" and other["released_by_login"] == "head.altynkol"


async def test_xlsx_names_the_releasing_official(client, auth) -> None:
    d = await _decisions(client, auth)
    resp = await client.get("/api/declarations/export", params={"format": "xlsx", "post_code": "ALAKOL"},
                            headers=await auth("auditor"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    header, *rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert header[:3] == ["number", "procedure", "post"] and "released_by_login" in header
    by_number = {r[0]: dict(zip(header, r)) for r in rows}
    assert set(by_number) == {d["green"]["number"], d["red"]["number"]}  # ALAKOL's decisions
    red = by_number[d["red"]["number"]]
    assert red["released_by_login"] == "head.alakol" and red["released_by_name"]
    assert red["override"] == "yes" and red["override_reason"] == OVERRIDE
    assert isinstance(red["released_at (UTC)"], datetime)
    cell = next(c for row in ws.iter_rows() for c in row if c.value == OVERRIDE)
    assert cell.data_type == "s"  # text, not a formula


async def test_filters_and_scope(client, auth, db) -> None:
    d = await _decisions(client, auth)
    today = datetime.now(UTC).date()
    auditor, head = await auth("auditor"), await auth("head.alakol")

    async def numbers(params: dict[str, str], headers: dict[str, str]) -> set[str]:
        resp = await client.get("/api/declarations/export", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return {r["number"] for r in _csv(resp.text)}

    everything = {d["green"]["number"], d["red"]["number"], d["other"]["number"]}
    assert await numbers({"from": str(today), "to": str(today)}, auditor) == everything
    assert await numbers({"from": str(today + timedelta(days=1))}, auditor) == set()
    assert await numbers({"to": str(today - timedelta(days=1))}, auditor) == set()
    assert await numbers({"post_code": "altynkol"}, auditor) == {d["other"]["number"]}
    assert await numbers({}, head) == {d["green"]["number"], d["red"]["number"]}  # own post
    cross = await client.get("/api/declarations/export", params={"post_code": "ALTYNKOL"}, headers=head)
    assert cross.status_code == 404
    bad = await client.get("/api/declarations/export", params={"format": "pdf"}, headers=auditor)
    assert bad.status_code == 400
    backwards = await client.get("/api/declarations/export", params={"from": str(today), "to": "2020-01-01"},
                                 headers=auditor)
    assert backwards.status_code == 400
    for login in ("insp.alakol.1", "idk.alakol"):  # the integration account may (issue 14)
        assert (await client.get("/api/declarations/export", headers=await auth(login))).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM audit_events WHERE action = 'declarations.exported'") == 5


async def test_export_path_is_not_a_declaration_id(client, auth) -> None:
    keden = await auth("keden")
    decl = await create_declaration(client, keden, post="ALAKOL", corridor="green")
    auditor = await auth("auditor")
    resp = await client.get("/api/declarations/export", headers=auditor)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    one = await client.get(f"/api/declarations/{decl['id']}", headers=auditor)
    assert one.status_code == 200 and one.json()["number"] == decl["number"]
    # The integration account may read declarations and export decisions: its CSV proves the
    # export handler (not the declaration reader, which answers JSON) answered.
    exported = await client.get("/api/declarations/export", headers=keden)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert (await client.get("/api/declarations/awaiting", headers=keden)).status_code == 403
    assert (await client.get("/api/declarations/export/", headers=auditor)).status_code == 200
