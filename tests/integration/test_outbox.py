"""The transactional outbox and the change feed: events of committed changes only, in commit
order, resumable from any cursor."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from backend.db.pool import connect
from backend.integration.outbox import emit

FEED = "/api/changes"


async def _seq(db: asyncpg.Connection, event_id: str) -> int:
    seq: int = await db.fetchval("SELECT seq FROM outbox_events WHERE id = $1::uuid", event_id)
    return seq


async def _emit_committed(db: asyncpg.Connection, type: str, data: dict[str, Any]) -> int:
    async with db.transaction():
        event_id = await emit(db, type, data)
    return await _seq(db, event_id)


async def test_an_event_of_a_committed_change_reaches_the_feed(client, db, auth) -> None:
    async with db.transaction():
        event_id = await emit(db, "declaration.corridor_changed", {
            "declaration_id": "d-1", "old": "green", "new": "red", "reason": "idk_suspicion"})
        assert await _seq(db, event_id) is None  # numbered at commit
    seq = await _seq(db, event_id)
    resp = await client.get(FEED, headers=await auth("keden"))
    assert resp.status_code == 200, resp.text
    page = resp.json()
    [event] = page["events"]
    assert event["seq"] == seq and event["id"] == event_id
    assert event["type"] == "declaration.corridor_changed"
    assert event["data"] == {"declaration_id": "d-1", "old": "green", "new": "red",
                             "reason": "idk_suspicion"}
    assert event["occurred_at"]
    assert page["next_after"] == seq


async def test_a_rolled_back_change_leaves_no_event(client, db, auth) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction():
            await emit(db, "declaration.released", {"declaration_id": "d-2"})
            raise Boom
    kept = await _emit_committed(db, "declaration.refused", {"declaration_id": "d-3"})
    page = (await client.get(FEED, headers=await auth("keden"))).json()
    assert [(e["seq"], e["type"]) for e in page["events"]] == [(kept, "declaration.refused")]


async def test_emit_refuses_to_run_outside_a_transaction_or_with_an_unknown_type(db) -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        await emit(db, "idk.verdict", {"scan_id": "s"})
    async with db.transaction():
        with pytest.raises(ValueError, match="unknown event type"):
            await emit(db, "declaration.deleted", {})
    assert await db.fetchval("SELECT count(*) FROM outbox_events") == 0


async def test_the_feed_pages_and_resumes_from_its_cursor(client, db, auth) -> None:
    seqs = [await _emit_committed(db, "inspection.ordered", {"n": n}) for n in range(5)]
    headers = await auth("keden")
    first = (await client.get(FEED, params={"limit": 2}, headers=headers)).json()
    assert [e["data"]["n"] for e in first["events"]] == [0, 1]
    assert first["next_after"] == seqs[1]
    rest = (await client.get(FEED, params={"after": first["next_after"], "limit": 10},
                             headers=headers)).json()
    assert [e["data"]["n"] for e in rest["events"]] == [2, 3, 4]
    idle = (await client.get(FEED, params={"after": rest["next_after"]}, headers=headers)).json()
    assert idle == {"events": [], "next_after": seqs[-1]}
    # a new event after the idle poll is the next one the same cursor sees
    new = await _emit_committed(db, "inspection.finished", {"n": 5})
    later = (await client.get(FEED, params={"after": idle["next_after"]}, headers=headers)).json()
    assert [e["seq"] for e in later["events"]] == [new]


async def test_the_feed_is_in_commit_order_not_in_write_order(client, db_url, db, auth) -> None:
    """An event written first but committed last comes last: a reader whose cursor passed the
    earlier commit still gets it."""
    other = await connect(db_url)
    try:
        slow = db.transaction()
        await slow.start()
        slow_id = await emit(db, "idk.verdict", {"scan": "written first"})
        async with other.transaction():
            quick_id = await emit(other, "idk.verdict", {"scan": "committed first"})
        headers = await auth("keden")
        seen = (await client.get(FEED, headers=headers)).json()
        assert [e["id"] for e in seen["events"]] == [quick_id]
        await slow.commit()
        later = (await client.get(FEED, params={"after": seen["next_after"]},
                                  headers=headers)).json()
        assert [e["id"] for e in later["events"]] == [slow_id]
        assert later["events"][0]["seq"] > seen["next_after"]
    finally:
        await other.close()


async def test_one_transactions_events_keep_their_order(db) -> None:
    async with db.transaction():
        ids = [await emit(db, "inspection.ordered", {"n": n}) for n in range(3)]
    seqs = [await _seq(db, i) for i in ids]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


async def test_events_are_history(db) -> None:
    await _emit_committed(db, "declaration.released", {"declaration_id": "d"})
    with pytest.raises(asyncpg.RaiseError, match="history"):
        await db.execute("UPDATE outbox_events SET data = '{}'")
    with pytest.raises(asyncpg.RaiseError, match="history"):
        await db.execute("DELETE FROM outbox_events")


@pytest.mark.parametrize("params", [{"after": "-1"}, {"limit": "0"}, {"limit": "501"},
                                    {"after": "soon"}])
async def test_bad_feed_queries_are_problems(client, auth, params) -> None:
    resp = await client.get(FEED, params=params, headers=await auth("keden"))
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] in {"invalid_request", "bad_request"}
