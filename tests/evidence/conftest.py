"""One released declaration with everything an evidence package holds, made once per module
through the API (and the worker), and its package as an auditor downloads it."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from backend.settings import Settings
from tests.conftest import TEMPLATE_DB, TEST_PEPPER, EmbeddedServer
from tests.helpers import declaration_payload
from tests.recordings.kit import (
    Tablet,
    fake_video,
    manifest_for,
    new_client_id,
    signed_registration,
    split,
    upload_chunks,
)

_dbs = itertools.count(1)


@dataclass
class Released:
    client: AsyncTestClient
    db: asyncpg.Connection
    tokens: dict[str, str]
    declaration: dict[str, Any]
    videos: dict[str, bytes]  # phase -> the bytes the tablet uploaded
    package: Path  # as the auditor downloaded it

    def headers(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}


async def _build(client: AsyncTestClient, db: asyncpg.Connection, tokens: dict[str, str],
                 dsn: str, app: Any, work: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    from backend.idk.xray import xray_png
    from media_pipeline.worker import run_worker

    def h(login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[login]}"}

    body = declaration_payload(post="ALTYNKOL", corridor="red")
    resp = await client.post("/api/declarations", json=body, headers=h("keden"))
    assert resp.status_code == 201, resp.text
    decl = resp.json()
    form = {"image_id": f"EVID-{decl['id'][:8]}", "scanner": "Nuctech MB1215DE", "composition_number": "2105",
            "wagon_number": body["transport"]["wagons"][0], "scanned_at": "2026-11-22T10:15:00+06:00"}
    png = xray_png(7, width=96, height=48, bits=8)
    resp = await client.post("/api/idk/scans", data=form, files={"image": ("x.png", png, "image/png")},
                             headers=h("idk.altynkol"))
    assert resp.status_code == 201, resp.text
    scan = resp.json()["id"]
    resp = await client.post(f"/api/idk/scans/{scan}/verdict", headers=h("idk.altynkol"), json={
        "verdict": "suspicion", "risk_areas": [{"x": 2, "y": 3, "w": 20, "h": 10, "note": "плотный блок"}]})
    assert resp.status_code == 200, resp.text
    insp = decl["inspection"]["id"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", decl["inspection"]["inspector_id"])
    inspector = h(login)
    assert (await client.post(f"/api/inspections/{insp}/start", headers=inspector)).status_code == 200
    tablet = Tablet()
    await tablet.register(client, inspector, h("head.altynkol"))
    videos = {}
    for seed, phase in enumerate(("exterior", "unloading"), 1):
        chunks = split(fake_video(150_000 + seed * 1000, seed=seed), [64_000, 64_000])
        videos[phase] = b"".join(chunks)
        cid = new_client_id()
        upload = await upload_chunks(client, inspector, insp, phase, cid, chunks)
        resp = await client.post(f"/api/inspections/{insp}/recordings", headers=inspector,
                                 json=signed_registration(tablet, cid, phase, upload,
                                                          manifest_for(tablet.device_id, chunks)))
        assert resp.status_code == 201, resp.text
    await asyncio.wait_for(run_worker(dsn, app.state.store, None, work, concurrency=1, drain=True), 120)
    assert (await client.post(f"/api/inspections/{insp}/counts", json={"places_counted": 20},
                              headers=inspector)).status_code == 200
    assert (await client.post(f"/api/inspections/{insp}/finish", headers=inspector)).status_code == 200
    resp = await client.post(f"/api/declarations/{decl['id']}/release", headers=h("head.altynkol"), json={
        "override_reason": "Груз досмотрен комиссионно, видеозаписи приложены к акту",
        "comment": "Выпуск по решению начальника поста"})
    assert resp.status_code == 200, resp.text
    return decl, videos


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def released(pg: EmbeddedServer, template: dict[str, str],
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Released]:
    from backend.app import create_app
    from backend.db.pool import connect

    name = f"ev_{os.getpid()}_{next(_dbs)}"
    admin = await asyncpg.connect(pg.dsn("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    await admin.close()
    dsn = pg.dsn(name)
    root = tmp_path_factory.mktemp("evidence")
    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(root / "data"), "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER,
                                  "DOSMOTR_PUSH_HOSTS": "127.0.0.1"})
    app = create_app(settings, dsn=dsn)
    db = await connect(dsn)
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            decl, videos = await _build(client, db, template, dsn, app, root / "work")
            resp = await client.get(f"/api/declarations/{decl['id']}/evidence-package",
                                    headers={"Authorization": f"Bearer {template['auditor']}"})
            assert resp.status_code == 200, resp.text
            package = root / "package.zip"
            package.write_bytes(resp.content)
            yield Released(client, db, template, decl, videos, package)
    finally:
        await db.close()
        admin = await asyncpg.connect(pg.dsn("postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
