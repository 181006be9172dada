"""The operator's conclusion (appendix 3 form) as PDF and HTML: made at the verdict, stored once
with its digest in the audit log, parseable, naming the image and its risk areas."""

from __future__ import annotations

import asyncio
import hashlib
import io

import asyncpg
import msgspec
import pypdf
import pytest

from backend.idk.schemas import VerdictIn
from backend.idk.service import give_verdict
from backend.idk.xray import XraySpec
from media_pipeline.worker import run_worker
from tests.idk.test_idk_assist import scanned
from tests.idk.test_idk_scans import uploaded

AREAS = [{"x": 300, "y": 150, "w": 120, "h": 80, "note": "плотный блок <script>alert(1)</script>"},
         {"x": 900, "y": 200, "w": 60, "h": 60, "note": "пустота в штабеле"}]


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return text, images


async def test_conclusion_at_verdict_is_stored_once_and_names_image_and_areas(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator, head = await auth("idk.altynkol"), await auth("head.altynkol")
    png, _, _ = scanned(XraySpec(seed=2**31 + 11, width=1400, height=480, packaging="bags",
                                 hidden_block=True))
    scan = await uploaded(client, operator, image=png, image_id="ALT-CONCL-0001",
                          wagon_number="58760000", container_numbers="MSKU1234565")
    draft = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf", headers=head)
    assert draft.status_code == 200 and draft.headers["x-dosmotr-conclusion"] == "draft"
    text, _ = pdf_text(draft.content)
    assert "ПРОЕКТ" in text and "ALT-CONCL-0001" in text
    assert await db.fetchval("SELECT count(*) FROM idk_conclusions") == 0

    await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "work",
                                      concurrency=1, drain=True), 120)  # the model speaks first
    resp = await client.post(f"/api/idk/scans/{scan['id']}/verdict", headers=operator,
                             json={"verdict": "suspicion", "risk_areas": AREAS})
    assert resp.status_code == 200, resp.text

    pdf = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf", headers=head)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-dosmotr-conclusion"] == "issued"
    text, images = pdf_text(pdf.content)
    for needed in ("Заключение по результатам ИДК", "ALT-CONCL-0001", "Nuctech MB1215DE",
                   "2105", "58760000", "MSKU1234565", "под подозрением",
                   "Зона 1: x=300, y=150, ширина 120, высота 80",
                   "Зона 2: x=900, y=200, ширина 60, высота 60", "пустота в штабеле",
                   "Модель: xray_assist", "Оператор ИДК:", "Подпись:"):
        assert needed in text, needed
    assert "ПРОЕКТ" not in text
    assert images >= 1 + len(AREAS)  # the overview and one crop per risk area

    html = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.html", headers=head)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    page = html.text
    assert "ALT-CONCL-0001" in page and "Зона 2: x=900, y=200" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("data:image/png;base64,") == 1 + len(AREAS)

    row = await db.fetchrow("SELECT * FROM idk_conclusions WHERE scan_id = $1", scan["id"])
    assert row["pdf_sha256"] == hashlib.sha256(pdf.content).hexdigest()
    assert row["html_sha256"] == hashlib.sha256(html.content).hexdigest()
    assert row["pdf_key"].startswith(f"idk/ALTYNKOL/ALT-CONCL-0001/conclusion-{row['pdf_sha256']}")
    stored = await app.state.store.stat(row["pdf_key"])
    assert stored is not None and stored.sha256 == row["pdf_sha256"]
    issued = await db.fetch("SELECT payload FROM audit_events WHERE object_id = $1 "
                            "AND action = 'idk_scan.conclusion_issued'", scan["id"])
    assert [e["payload"]["pdf_sha256"] for e in issued] == [row["pdf_sha256"]]
    assert issued[0]["payload"]["html_sha256"] == row["html_sha256"]
    again = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf", headers=operator)
    assert again.content == pdf.content  # stored, not re-rendered
    viewed = await db.fetchval("SELECT count(*) FROM audit_events WHERE object_id = $1 "
                               "AND action = 'idk_scan.conclusion_viewed'", scan["id"])
    assert viewed == 4
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("UPDATE idk_conclusions SET pdf_sha256 = 'x' WHERE scan_id = $1", scan["id"])
    other = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf",
                             headers=await auth("head.alakol"))
    assert other.status_code == 404


async def test_a_verdict_given_without_a_store_is_issued_on_first_reading(
    client, auth, db, app
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    scan = await uploaded(client, operator, image_id="ALT-LATE-0001", wagon_number="58760042",
                          container_numbers="")
    u = await db.fetchrow("SELECT id, login, name, role, post_code FROM users WHERE login = 'idk.altynkol'")
    from backend.auth.actor import Actor

    actor = Actor(u["id"], u["login"], u["name"], u["role"], u["post_code"], "test")
    await give_verdict(db, actor, scan["id"], msgspec.convert({"verdict": "clear"}, VerdictIn))
    assert await db.fetchval("SELECT count(*) FROM idk_conclusions") == 0
    first = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf", headers=operator)
    assert first.status_code == 200 and first.headers["x-dosmotr-conclusion"] == "issued"
    text, _ = pdf_text(first.content)
    assert "ALT-LATE-0001" in text and "ИДК-контроль пройден" in text
    assert "Зоны риска не отмечены" in text
    second = await client.get(f"/api/idk/scans/{scan['id']}/conclusion.pdf", headers=operator)
    assert second.content == first.content
    assert await db.fetchval("SELECT count(*) FROM idk_conclusions") == 1
