"""The board's rules: which post a caller may watch, and each inspection as the head sees it."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
from litestar.response import ServerSentEventMessage

from backend.auth.actor import Actor
from backend.board import repo
from backend.board.hub import BoardHub
from backend.board.schemas import (
    AwaitingDeclaration,
    BoardCheck,
    BoardExpected,
    BoardInspection,
    BoardOut,
    BoardPhase,
    BoardUpload,
    DeclarationSummary,
)
from backend.declarations import repo as declarations_repo
from backend.declarations.schemas import UserRef
from backend.errors import InvalidRequest, NotFound
from backend.gate.service import evaluate
from backend.posts import repo as posts_repo
from backend.posts.policy import Policy

BOARD_LIMIT = 200
AWAITING_LIMIT = 100
HEARTBEAT_S = 15.0


async def board_post(conn: asyncpg.Connection, actor: Actor, post_code: str | None) -> str:
    """The post a caller watches: a head their own; auditors and admins name one."""
    if actor.post_code is not None:
        if post_code is not None and post_code.strip().upper() != actor.post_code:
            raise NotFound(f"post {post_code} not found")
        return actor.post_code
    if not post_code:
        raise InvalidRequest("name the post to watch: ?post_code=", field="post_code")
    code = post_code.strip().upper()
    if not await repo.post_exists(conn, code):
        raise NotFound(f"post {code} not found")
    return code


def _phase(phase: str, policy: Policy, places: int, rec: Any) -> BoardPhase:
    rule = policy.min_seconds.get(phase)  # type: ignore[call-overload]
    minimum = rule.for_places(places) if rule else 0.0
    recorded = rec["recorded_s"] if rec else None
    checks = [
        BoardCheck(name=str(c.get("name")), verdict=str(c.get("verdict")))
        for c in (rec["checks"] if rec else []) if isinstance(c, dict)
    ]
    return BoardPhase(
        phase=phase, min_seconds=minimum, state=rec["state"] if rec else "missing",
        recording_id=rec["id"] if rec else None, verdict=rec["verdict"] if rec else None,
        recorded_s=recorded, short=None if recorded is None else recorded < minimum,
        checks=checks,
    )


async def board(conn: asyncpg.Connection, actor: Actor, post_code: str | None) -> BoardOut:
    code = await board_post(conn, actor, post_code)
    rows = await repo.inspections(conn, code, BOARD_LIMIT)
    # Each inspection under the policy version it was created under (the gate's minimums).
    policies: dict[int, Policy] = {}
    for r in rows:
        if r["policy_key"] not in policies:
            policies[r["policy_key"]] = msgspec.convert(r["policy"], Policy)
    ids = [r["id"] for r in rows]
    recordings: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in await repo.latest_recordings(conn, ids):
        recordings[r["inspection_id"]][r["phase"]] = r
    uploads: dict[str, list[BoardUpload]] = defaultdict(list)
    for u in await repo.open_uploads(conn, ids):
        uploads[u["inspection_id"]].append(BoardUpload(
            id=u["id"], phase=u["phase"], length=u["length"], committed=u["committed"],
            moving_since=u["since"], created_at=u["created_at"], expires_at=u["expires_at"],
        ))
    expected: dict[str, list[BoardExpected]] = defaultdict(list)
    for e in await repo.expected(conn, ids):
        expected[e["inspection_id"]].append(BoardExpected(
            client_id=e["client_id"], phase=e["phase"], deadline_at=e["deadline_at"],
            overdue=e["overdue"],
        ))
    now = datetime.now(UTC)
    out = []
    for r in rows:
        places = int(r["places_declared"])
        policy = policies[r["policy_key"]]
        phases = [
            _phase(p, policy, places, recordings[r["id"]].get(p))
            for p in policy.phases_for(r["procedure"], r["corridor"])
        ]
        elapsed = None
        if r["started_at"] is not None:
            elapsed = ((r["finished_at"] or now) - r["started_at"]).total_seconds()
        out.append(BoardInspection(
            id=r["id"], declaration_id=r["declaration_id"], number=r["number"],
            procedure=r["procedure"], corridor=r["corridor"],
            declaration_status=r["declaration_status"], vehicle_plate=r["vehicle_plate"],
            status=r["status"], reasons=list(r["reasons"]),
            inspector=UserRef(id=r["inspector_id"], name=r["inspector_name"])
            if r["inspector_id"] else None,
            created_at=r["created_at"], started_at=r["started_at"], finished_at=r["finished_at"],
            elapsed_s=elapsed, min_total_s=sum(p.min_seconds for p in phases),
            places_declared=places, places_counted=r["places_counted"],
            items_counted=r["items_counted"], phases=phases, uploads=uploads[r["id"]],
            expected=expected[r["id"]],
        ))
    on_shift = [UserRef(id=r["id"], name=r["name"])
                for r in await posts_repo.shift(conn, code) if r["on_shift"]]
    return BoardOut(post_code=code, generated_at=now, inspections=out, on_shift=on_shift)


async def awaiting(
    conn: asyncpg.Connection, actor: Actor, post_code: str | None
) -> list[AwaitingDeclaration]:
    """Declarations not yet decided at the post, each with every gate condition spelled out
    (evaluated for the caller: an auditor sees `actor_may_release` unmet, as it is for them)."""
    code = await board_post(conn, actor, post_code)
    out = []
    for declaration_id in await repo.awaiting_ids(conn, code, AWAITING_LIMIT):
        view = await declarations_repo.get_view(conn, declaration_id)
        if view is None:
            continue
        gate = await evaluate(conn, actor, declaration_id)
        out.append(AwaitingDeclaration(
            declaration=DeclarationSummary(
                id=view.id, number=view.number, procedure=view.procedure,
                corridor=view.corridor, status=view.status,
                inspection_required=view.inspection_required,
                inspection_status=view.inspection.status if view.inspection else None,
                created_at=view.created_at,
            ),
            allowed=gate.allowed, unmet=gate.unmet, conditions=gate.conditions,
        ))
    return out


async def changes(
    hub: BoardHub, post_code: str, max_s: float, heartbeat_s: float = HEARTBEAT_S
) -> AsyncIterator[ServerSentEventMessage]:
    """Server-sent events: `ready` once listening, then `change` per committed change at the
    post (`resync` when notices may have been lost), keep-alive comments, and an end after
    `max_s` (EventSource reconnects by itself; the token is checked again on reconnect)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    async with hub.subscribe(post_code) as queue:
        yield ServerSentEventMessage(event="ready", data=json.dumps({"post_code": post_code}),
                                     retry=3000)
        while (remaining := deadline - loop.time()) > 0:
            try:
                notice = await asyncio.wait_for(queue.get(), min(heartbeat_s, remaining))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            if notice.get("closing"):
                return  # the server is stopping; the client reconnects after `retry`
            if notice.get("resync"):
                yield ServerSentEventMessage(event="resync", data="{}")
                continue
            yield ServerSentEventMessage(
                event="change", id=str(notice.get("seq", "")),
                data=msgspec.json.encode(notice).decode(),
            )
