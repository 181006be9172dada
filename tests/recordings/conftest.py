"""An inspection in progress with its inspector and an approved tablet, ready to record."""

from __future__ import annotations

from dataclasses import dataclass

import pytest_asyncio

from tests.helpers import create_declaration
from tests.recordings.kit import Tablet


@dataclass
class Scene:
    inspection_id: str
    inspector: dict[str, str]
    inspector_login: str
    head: dict[str, str]
    tablet: Tablet


@pytest_asyncio.fixture
async def scene(client, auth, db) -> Scene:  # type: ignore[no-untyped-def]
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    inspection_id = decl["inspection"]["id"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", decl["inspection"]["inspector_id"])
    inspector, head = await auth(login), await auth("head.alakol")
    started = await client.post(f"/api/inspections/{inspection_id}/start", headers=inspector)
    assert started.status_code == 200, started.text
    tablet = Tablet()
    await tablet.register(client, inspector, head)
    return Scene(inspection_id, inspector, login, head, tablet)
