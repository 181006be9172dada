"""Auditors' rules: who searches where, and the daily review sample.

The sample of a day is drawn once the day is over (UTC), from the declarations the post
released that day, at the post policy's `audit_sample_rate`, and stored: asking again returns
the same draw. The draw ranks declarations by an HMAC under a server secret, so it is fixed for
the server yet cannot be foreseen by the officials whose releases it picks.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.auth.permissions import post_scope
from backend.declarations.schemas import normalise_unit
from backend.errors import DayNotOver, InvalidRequest, NotFound
from backend.posts import repo as posts_repo
from backend.review import repo
from backend.review.schemas import DeclarationHit, ReviewIn, SampleDay, SampleItem

SEARCH_LIMIT_MAX = 500
MIN_FLAG_NOTE = 10


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


async def search(
    conn: asyncpg.Connection, actor: Actor, *, number: str | None, container: str | None,
    wagon: str | None, plate: str | None, inspector: str | None, post_code: str | None,
    since: date | None, until: date | None, verdict: str | None, override: bool | None,
    status: str | None, limit: int, offset: int,
) -> list[DeclarationHit]:
    """Auditors and admins search every post; a post head only their own (another post: nothing).
    `from`/`to` are inclusive UTC days of the declaration's arrival."""
    if post_code is not None:
        post_code = post_code.strip().upper()
    if post_scope(actor) is not None:  # a post-bound role: its own post only
        if post_code not in (None, actor.post_code):
            return []
        post_code = actor.post_code
    if since and until and until < since:
        raise InvalidRequest("`to` is before `from`", field="to")
    return await repo.search(
        conn,
        number=(number or "").strip() or None,
        container=normalise_unit(container) or None if container else None,
        wagon=normalise_unit(wagon) or None if wagon else None,
        plate=normalise_unit(plate) or None if plate else None,
        inspector=(inspector or "").strip() or None,
        post_code=post_code,
        since=_day_start(since) if since else None,
        until=_day_start(until + timedelta(days=1)) if until else None,
        verdict=verdict, override=override, status=status,
        limit=min(limit, SEARCH_LIMIT_MAX), offset=offset,
    )


def _rank_key(secret: str, post_code: str, day: date, declaration_id: str) -> bytes:
    message = f"review-sample|{post_code}|{day.isoformat()}|{declaration_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def draw(secret: str, post_code: str, day: date, released: list[str], rate: float) -> list[str]:
    """The day's sample: ceil(rate × released) declarations (at least one when any was
    released and the rate is not 0), the lowest HMAC ranks first."""
    if not released or rate <= 0:
        return []
    size = min(len(released), max(1, math.ceil(rate * len(released))))
    ranked = sorted(released, key=lambda d: _rank_key(secret, post_code, day, d))
    return ranked[:size]


async def _day(conn: asyncpg.Connection, secret: str, post_code: str, day: date) -> SampleDay:
    row = await repo.sample_day(conn, post_code, day)
    if row is None:
        policy = await posts_repo.policy_for(conn, post_code)
        assert policy is not None
        async with conn.transaction():
            released = await repo.released_on(conn, post_code, day)
            sample = draw(secret, post_code, day, released, policy.audit_sample_rate)
            if await repo.insert_day(conn, post_code, day, policy.audit_sample_rate,
                                     len(released), sample):
                await audit.append(
                    conn, actor_id=None, action="review.sample_drawn", object_type="post",
                    object_id=post_code,
                    payload={"day": day.isoformat(), "rate": policy.audit_sample_rate,
                             "population": len(released), "sample": sample},
                )
        row = await repo.sample_day(conn, post_code, day)
    return SampleDay(
        post_code=row["post_code"], day=row["day"], rate=row["rate"],
        population=row["population"], drawn_at=row["drawn_at"],
        items=await repo.sample_items(conn, post_code, day),
    )


async def sample(
    conn: asyncpg.Connection, secret: str, day: date | None, post_code: str | None
) -> list[SampleDay]:
    """The sample of `day` (default: yesterday, UTC) for one post or for every post."""
    today = datetime.now(UTC).date()
    day = day or today - timedelta(days=1)
    if day >= today:
        raise DayNotOver(f"{day.isoformat()} is not over yet (UTC); its sample is drawn tomorrow")
    codes = await repo.post_codes(conn)
    if post_code is not None:
        code = post_code.strip().upper()
        if code not in codes:
            raise NotFound(f"post {post_code} not found")
        codes = [code]
    return [await _day(conn, secret, code, day) for code in codes]


async def review(
    conn: asyncpg.Connection, actor: Actor, declaration_id: str, data: ReviewIn
) -> SampleItem:
    note = (data.note or "").strip() or None
    if data.status == "flagged" and (note is None or len(note) < MIN_FLAG_NOTE):
        raise InvalidRequest(f"a flag says why in at least {MIN_FLAG_NOTE} characters", field="note")
    async with conn.transaction():
        row = await repo.set_review(conn, declaration_id, data.status, note, actor.id)
        if row is None:
            raise NotFound(f"declaration {declaration_id} is in no review sample")
        await audit.append(
            conn, actor_id=actor.id, action=f"review.{data.status}", object_type="declaration",
            object_id=declaration_id, post_code=row["post_code"],
            payload={"day": row["day"].isoformat(), "note": note},
        )
    found = await repo.item(conn, declaration_id)
    assert found is not None
    return found
