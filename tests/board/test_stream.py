"""The board stream: server-sent events pushed through PostgreSQL LISTEN/NOTIFY, so a change
made by another process (another session, another API replica) reaches the watching head."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import create_declaration
from tests.recordings.server import ServerProcess


async def events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Parse a text/event-stream into events (comments are keep-alives)."""
    event: dict[str, Any] = {}
    async for line in lines:
        if line == "":
            if event:
                yield event
            event = {}
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            event[field] = value[1:] if value.startswith(" ") else value


@pytest.fixture
def server(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    data = tmp_path / "server-data"
    data.mkdir()
    proc = ServerProcess(db_url, data).start()
    yield proc
    proc.stop()


async def test_a_start_in_another_process_reaches_the_stream(server, client, auth, db) -> None:
    head = await auth("head.alakol")
    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="red")
    other_post = await create_declaration(client, await auth("keden"), post="ALTYNKOL", corridor="red")
    insp = decl["inspection"]["id"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", decl["inspection"]["inspector_id"])
    other_login = await db.fetchval("SELECT login FROM users WHERE id = $1",
                                    other_post["inspection"]["inspector_id"])
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        async with http.stream("GET", "/api/board/stream", params={"max_s": 30}, headers=head) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            stream = events(resp.aiter_lines())
            ready = await asyncio.wait_for(anext(stream), 10)
            assert ready["event"] == "ready" and json.loads(ready["data"]) == {"post_code": "ALAKOL"}
            # Another post's change first: it must not reach this stream.
            started = await client.post(f"/api/inspections/{other_post['inspection']['id']}/start",
                                        headers=await auth(other_login))
            assert started.status_code == 200
            # The inspector starts in another session, served by another process (the test app).
            started = await client.post(f"/api/inspections/{insp}/start", headers=await auth(login))
            assert started.status_code == 200
            change = await asyncio.wait_for(anext(stream), 10)
    assert change["event"] == "change"
    notice = json.loads(change["data"])
    assert notice == {"post_code": "ALAKOL", "object_type": "inspection", "object_id": insp,
                      "action": "inspection.started", "seq": notice["seq"]}
    assert change["id"] == str(notice["seq"])


async def test_stream_ends_after_max_s_and_checks_access(client, auth) -> None:
    resp = await client.get("/api/board/stream", params={"max_s": 0}, headers=await auth("head.alakol"))
    assert resp.status_code == 200
    assert "event: ready" in resp.text
    auditor = await auth("auditor")
    assert (await client.get("/api/board/stream", params={"max_s": 0}, headers=auditor)).status_code == 400
    ok = await client.get("/api/board/stream", params={"max_s": 0, "post_code": "ALTYNKOL"}, headers=auditor)
    assert ok.status_code == 200 and '"post_code": "ALTYNKOL"' in ok.text
    cross = await client.get("/api/board/stream", params={"max_s": 0, "post_code": "ALTYNKOL"},
                             headers=await auth("head.alakol"))
    assert cross.status_code == 404
    assert (await client.get("/api/board/stream", params={"max_s": 0},
                             headers=await auth("insp.alakol.1"))).status_code == 403
    assert (await client.get("/api/board/stream", params={"max_s": 99999},
                             headers=await auth("head.alakol"))).status_code == 400


async def test_rolled_back_changes_are_not_announced(client, auth, db, db_url) -> None:
    from backend.audit import repo as audit
    from backend.board.hub import BoardHub

    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="green")
    hub = BoardHub(db_url)
    try:
        async with hub.subscribe("ALAKOL") as queue:
            tx = db.transaction()
            await tx.start()
            await audit.append(db, actor_id=None, action="test.rolled_back", object_type="declaration",
                               object_id=decl["id"], payload={})
            await tx.rollback()
            async with db.transaction():
                await audit.append(db, actor_id=None, action="test.committed", object_type="declaration",
                                   object_id=decl["id"], payload={})
            notice = await asyncio.wait_for(queue.get(), 10)
            assert notice["action"] == "test.committed"
            assert queue.empty()
    finally:
        await hub.close()


async def test_a_lost_listener_resyncs_and_listens_again(client, auth, db, db_url) -> None:
    from backend.audit import repo as audit
    from backend.board.hub import RESYNC, BoardHub

    decl = await create_declaration(client, await auth("keden"), post="ALAKOL", corridor="green")
    hub = BoardHub(db_url)
    try:
        async with hub.subscribe("ALAKOL") as queue:
            assert hub._conn is not None
            await db.execute("SELECT pg_terminate_backend($1)", hub._conn.get_server_pid())
            assert await asyncio.wait_for(queue.get(), 10) == RESYNC  # notices may have been lost
            for _ in range(200):
                if hub.listening:
                    break
                await asyncio.sleep(0.05)
            assert hub.listening
            async with db.transaction():
                await audit.append(db, actor_id=None, action="test.after_reconnect",
                                   object_type="declaration", object_id=decl["id"], payload={})
            notice = await asyncio.wait_for(queue.get(), 10)
            assert notice["action"] == "test.after_reconnect"
    finally:
        await hub.close()
