"""The operator's conclusion: rendered and stored once, when the verdict is given; read back
as stored. Before a verdict, a draft is rendered on request and never stored.

Order at the verdict, evidence first: render (HTML and PDF, off the event loop), store both
under keys that carry their sha256 (write-once), then, inside the verdict's transaction, the
row that points at them and an audit event carrying both digests. A verdict lost to a race
leaves two unreferenced objects behind, never a verdict without its conclusion.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import NotFound
from backend.idk import assist_repo, repo
from backend.idk.conclusion import ConclusionDoc, render_html
from backend.idk.conclusion_pdf import render_pdf
from backend.idk.crops import Pictures, Rect, pictures
from backend.idk.schemas import RiskArea, ScanOut
from backend.storage.base import ObjectExists, ObjectStore

Format = Literal["pdf", "html"]
CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


async def _pictures(store: ObjectStore, scan: ScanOut, key: str, areas: list[RiskArea]) -> Pictures:
    rects = [Rect(a.x, a.y, a.w, a.h) for a in areas]
    shown = [] if scan.assessment is None else [
        Rect(r.x, r.y, r.w, r.h) for r in scan.assessment.anomalies
        if r.score >= scan.assessment.thresholds.get("anomaly", 0.5)
    ]
    path = store.local_path(key)
    if path is not None:
        return await asyncio.to_thread(pictures, path, rects, shown)
    with tempfile.TemporaryDirectory(prefix="dosmotr-idk-") as tmp:
        local = Path(tmp) / Path(key).name
        await store.download_to(key, local)
        return await asyncio.to_thread(pictures, local, rects, shown)


async def render(
    conn: asyncpg.Connection, store: ObjectStore, scan: ScanOut, *, verdict: str | None,
    areas: list[RiskArea], operator: str | None, verdict_at: datetime | None,
    issued_at: datetime,
) -> tuple[bytes, bytes]:
    """(html, pdf) of the conclusion on `scan` with the given verdict (None: a draft)."""
    found = await repo.stored_image(conn, scan.id)
    assert found is not None
    doc = ConclusionDoc(
        post=f"{await assist_repo.post_name(conn, scan.post_code)} ({scan.post_code})",
        scanner=scan.scanner, composition_number=scan.composition_number,
        wagon_number=scan.wagon_number, container_numbers=scan.container_numbers,
        scanned_at=scan.scanned_at, image_id=scan.image_id,
        image=(f"{scan.width}×{scan.height} пикс., {scan.bit_depth or 8} бит, "
               f"{scan.image_mime}, SHA-256 {scan.image_sha256}"),
        declarations=await assist_repo.declaration_numbers(conn, scan.id), verdict=verdict,
        verdict_at=verdict_at, operator=operator, risk_areas=areas,
        assessment=scan.assessment, issued_at=issued_at,
    )
    pics = await _pictures(store, scan, found[0].key, areas)
    html = await asyncio.to_thread(render_html, doc, pics)
    pdf = await asyncio.to_thread(render_pdf, doc, pics)
    return html, pdf


async def _put(store: ObjectStore, key: str, data: bytes, content_type: str, sha: str) -> None:
    try:
        await store.put_bytes(key, data, content_type)
    except ObjectExists:  # the same bytes from an earlier attempt: the key names the digest
        info = await store.stat(key)
        if info is None or info.sha256 != sha:
            raise RuntimeError(f"object {key} exists with other content") from None


async def issue(
    conn: asyncpg.Connection, store: ObjectStore, scan: ScanOut, *, verdict: str,
    areas: list[RiskArea], operator: str, verdict_at: datetime,
) -> dict[str, Any]:
    """Render and store the conclusion; returns what `record` writes."""
    html, pdf = await render(conn, store, scan, verdict=verdict, areas=areas, operator=operator,
                             verdict_at=verdict_at, issued_at=verdict_at)
    out: dict[str, Any] = {}
    for fmt, data in (("pdf", pdf), ("html", html)):
        sha = hashlib.sha256(data).hexdigest()
        key = f"idk/{scan.post_code}/{scan.image_id}/conclusion-{sha}.{fmt}"
        await _put(store, key, data, CONTENT_TYPES[fmt], sha)
        out.update({f"{fmt}_key": key, f"{fmt}_sha256": sha, f"{fmt}_size": len(data)})
    return out


async def record(conn: asyncpg.Connection, scan_id: str, stored: dict[str, Any],
                 actor_id: str, issued_at: datetime) -> None:
    """Inside the verdict's transaction: the row and the audit event with both digests."""
    await assist_repo.insert_conclusion(conn, scan_id, stored, actor_id, issued_at)
    await audit.append(
        conn, actor_id=actor_id, action="idk_scan.conclusion_issued", object_type="idk_scan",
        object_id=scan_id, payload=stored,
    )


async def _late_issue(conn: asyncpg.Connection, store: ObjectStore, scan: ScanOut) -> None:
    """A verdict given before conclusions were stored (or by a caller without a store): issue
    it now from the recorded verdict, once."""
    assert scan.verdict is not None and scan.verdict_by is not None and scan.verdict_at
    stored = await issue(conn, store, scan, verdict=scan.verdict, areas=scan.risk_areas,
                         operator=scan.verdict_by.name, verdict_at=scan.verdict_at)
    async with conn.transaction():
        if await assist_repo.conclusion(conn, scan.id) is None:
            await record(conn, scan.id, stored, scan.verdict_by.id, scan.verdict_at)


async def open_conclusion(
    conn: asyncpg.Connection, store: ObjectStore, actor: Actor, scan_id: str, fmt: Format
) -> tuple[bytes, str, bool]:
    """(bytes, sha256, issued): the stored conclusion, or a draft before the verdict.
    Reading it is audited: it shows crops of the evidence."""
    scan = await repo.scan_by_id(conn, scan_id)
    if scan is None or not actor.sees_post(scan.post_code):
        raise NotFound(f"scan {scan_id} not found")
    row = await assist_repo.conclusion(conn, scan_id)
    if row is None and scan.verdict is not None:
        await _late_issue(conn, store, scan)
        row = await assist_repo.conclusion(conn, scan_id)
    if row is not None:
        data = await store.get_bytes(row[f"{fmt}_key"])
        sha, issued = row[f"{fmt}_sha256"], True
    else:
        html, pdf = await render(conn, store, scan, verdict=None, areas=[], operator=None,
                                 verdict_at=None, issued_at=datetime.now(UTC))
        data = pdf if fmt == "pdf" else html
        sha, issued = hashlib.sha256(data).hexdigest(), False
    async with conn.transaction():
        await audit.append(
            conn, actor_id=actor.id, action="idk_scan.conclusion_viewed", object_type="idk_scan",
            object_id=scan_id, payload={"format": fmt, "sha256": sha, "issued": issued},
        )
    return data, sha, issued
