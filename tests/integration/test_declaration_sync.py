"""The declaration system catching up: `updated_at` and `?updated_since=`, and its export of
the decisions with the releasing official."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from tests.helpers import declaration_payload


async def test_updated_since_lists_only_what_changed(client, auth) -> None:
    keden, head = await auth("keden"), await auth("head.alakol")
    quiet = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "green"),
                               headers=keden)).json()
    busy = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "green"),
                              headers=keden)).json()
    assert quiet["updated_at"] >= quiet["created_at"]
    mark = max(datetime.fromisoformat(d["updated_at"]) for d in (quiet, busy))
    resp = await client.post(f"/api/declarations/{busy['id']}/refuse", headers=head,
                             json={"reason": "Товар не соответствует декларации"})
    assert resp.status_code == 200, resp.text
    since = await client.get("/api/declarations", headers=keden,
                             params={"updated_since": mark.isoformat()})
    assert since.status_code == 200, since.text
    [changed] = since.json()
    assert changed["id"] == busy["id"] and changed["status"] == "refused"
    assert datetime.fromisoformat(changed["updated_at"]) > mark
    everything = (await client.get("/api/declarations", headers=keden)).json()
    assert {quiet["id"], busy["id"]} <= {d["id"] for d in everything}


async def test_a_bad_updated_since_is_a_problem(client, auth) -> None:
    resp = await client.get("/api/declarations", headers=await auth("keden"),
                            params={"updated_since": "yesterday"})
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_the_integration_account_exports_decisions_with_the_official(client, auth, db) -> None:
    keden, head = await auth("keden"), await auth("head.alakol")
    decl = (await client.post("/api/declarations", json=declaration_payload("ALAKOL", "green"),
                              headers=keden)).json()
    assert (await client.post(f"/api/declarations/{decl['id']}/release", headers=head,
                              json={})).status_code == 200
    resp = await client.get("/api/declarations/export", headers=keden, params={"format": "csv"})
    assert resp.status_code == 200, resp.text
    rows = list(csv.DictReader(io.StringIO(resp.text.lstrip("\ufeff"))))
    [row] = [r for r in rows if decl["number"] in r.values()]
    head_name = await db.fetchval("SELECT name FROM users WHERE login = 'head.alakol'")
    assert row["released_by_name"] == head_name and row["released_by_login"] == "head.alakol"
