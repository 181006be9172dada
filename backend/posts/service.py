"""Post administration: posts and geofences, versioned policies, who is on shift. Audited."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import msgspec

from backend.audit import repo as audit
from backend.auth.actor import Actor
from backend.errors import AlreadyExists, InvalidPolicy, InvalidShift, NotFound
from backend.posts import repo
from backend.posts.geofence import validate_geofence
from backend.posts.policy import Policy, default_policy
from backend.posts.schemas import (
    PolicyVersionOut,
    PolicyVersionSummary,
    PostIn,
    PostOut,
    PostPatchIn,
    ShiftInspector,
    ShiftOut,
    VersionedPolicy,
)

_AT_PATH = re.compile(r" - at `(\$[^`]*)`$")


def parse_policy(body: Any) -> Policy:
    """A Policy from a JSON body, or 422 `invalid_policy` naming the failing path ($.a.b)."""
    try:
        return msgspec.convert(body, Policy)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _AT_PATH.search(message)
        raise InvalidPolicy(message, path=found.group(1) if found else "$") from exc


def _post_out(row: Any) -> PostOut:
    return PostOut(code=row["code"], name=row["name"], kind=row["kind"], has_idk=row["has_idk"],
                   geofence=row["geofence"], policy_version=row["policy_version"])


async def list_posts(conn: asyncpg.Connection) -> list[PostOut]:
    return [_post_out(r) for r in await repo.list_posts(conn)]


async def _visible_post(conn: asyncpg.Connection, actor: Actor, code: str,
                        *, for_update: bool = False) -> Any:
    row = await repo.post_row(conn, code, for_update=for_update) if actor.sees_post(code) else None
    if row is None:
        raise NotFound(f"post {code} not found")
    return row


async def create_post(conn: asyncpg.Connection, actor: Actor | None, data: PostIn) -> PostOut:
    """A new post, its policy version 1 (the kind's default unless one is given).

    `actor` is None when the command line adds the post (a fresh install has nobody yet)."""
    code = data.code.upper()
    geofence = validate_geofence(data.geofence)
    policy = parse_policy(data.policy) if data.policy is not None else default_policy(data.kind)
    async with conn.transaction():
        if await repo.post_row(conn, code) is not None:
            raise AlreadyExists(f"post {code} exists", field="code")
        await repo.set_author(conn, actor.id if actor else None)
        await repo.insert_post(conn, code, data.name.strip(), data.kind, data.has_idk, geofence,
                               policy)
        await audit.append(
            conn, actor_id=actor.id if actor else None, action="post.created",
            object_type="post", object_id=code,
            payload={"kind": data.kind, "name": data.name.strip(), "has_idk": data.has_idk,
                     "policy_version": 1},
            post_code=code,
        )
        row = await repo.post_row(conn, code)
    return _post_out(row)


async def update_post(conn: asyncpg.Connection, actor: Actor, code: str,
                      data: PostPatchIn) -> PostOut:
    code = code.upper()
    geofence = None if data.geofence is msgspec.UNSET else validate_geofence(data.geofence)
    async with conn.transaction():
        before = await _visible_post(conn, actor, code, for_update=True)
        name: str = before["name"] if data.name is msgspec.UNSET else data.name.strip()
        kind: str = before["kind"] if data.kind is msgspec.UNSET else data.kind
        has_idk: bool = before["has_idk"] if data.has_idk is msgspec.UNSET else data.has_idk
        fence: dict[str, Any] = before["geofence"] if geofence is None else geofence
        after = {"name": name, "kind": kind, "has_idk": has_idk, "geofence": fence}
        changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
        if changes:
            await repo.update_post(conn, code, name, kind, has_idk, fence)
            await audit.append(conn, actor_id=actor.id, action="post.updated", object_type="post",
                               object_id=code, payload={"changes": changes}, post_code=code)
        row = await repo.post_row(conn, code)
    return _post_out(row)


def _versioned(policy: Policy, version: int) -> VersionedPolicy:
    return VersionedPolicy(**{f: getattr(policy, f) for f in policy.__struct_fields__},
                           version=version)


async def current_policy(conn: asyncpg.Connection, actor: Actor, code: str) -> VersionedPolicy:
    found = await repo.current_policy(conn, code) if actor.sees_post(code) else None
    if found is None:
        raise NotFound(f"post {code} not found")
    return _versioned(*found)


async def put_policy(conn: asyncpg.Connection, actor: Actor, code: str,
                     body: Any) -> VersionedPolicy:
    """A new policy version for the post; inspections already created keep theirs."""
    code = code.upper()
    policy = parse_policy(body)
    async with conn.transaction():
        before = await _visible_post(conn, actor, code, for_update=True)
        await repo.set_author(conn, actor.id)
        version = await repo.set_policy(conn, code, policy)
        if version != before["policy_version"]:
            await audit.append(
                conn, actor_id=actor.id, action="post.policy_changed", object_type="post",
                object_id=code, payload={"version": version,
                                         "previous_version": before["policy_version"]},
                post_code=code,
            )
    return _versioned(policy, version)


async def policy_version(conn: asyncpg.Connection, actor: Actor, code: str,
                         version: int) -> PolicyVersionOut:
    row = await repo.policy_version(conn, code, version) if actor.sees_post(code) else None
    if row is None:
        raise NotFound(f"post {code} has no policy version {version}")
    return PolicyVersionOut(
        version=row["version"], policy=msgspec.convert(row["policy"], Policy),
        created_by=row["created_by"], created_by_name=row["created_by_name"],
        created_at=row["created_at"],
    )


async def policy_versions(conn: asyncpg.Connection, actor: Actor,
                          code: str) -> list[PolicyVersionSummary]:
    await _visible_post(conn, actor, code)
    return [msgspec.convert(dict(r), PolicyVersionSummary)
            for r in await repo.policy_versions(conn, code)]


async def get_shift(conn: asyncpg.Connection, actor: Actor, code: str) -> ShiftOut:
    code = code.upper()
    await _visible_post(conn, actor, code)
    return ShiftOut(post_code=code, inspectors=[
        ShiftInspector(id=r["id"], login=r["login"], name=r["name"], on_shift=r["on_shift"])
        for r in await repo.shift(conn, code)
    ])


async def set_shift(conn: asyncpg.Connection, actor: Actor, code: str,
                    inspector_ids: list[str]) -> ShiftOut:
    """Exactly these inspectors of the post are on shift; the random draw picks among them."""
    code = code.upper()
    wanted = list(dict.fromkeys(inspector_ids))
    async with conn.transaction():
        await _visible_post(conn, actor, code)
        await repo.lock_shift(conn, code)
        known = {r["id"] for r in await repo.shift(conn, code)}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise InvalidShift(
                f"not active inspectors of post {code}: {', '.join(unknown)}", unknown_ids=unknown,
            )
        changed = await repo.set_shift(conn, code, wanted)
        if changed:
            await audit.append(
                conn, actor_id=actor.id, action="post.shift_set", object_type="post",
                object_id=code,
                payload={"on_shift": sorted(wanted),
                         "added": sorted(r["id"] for r in changed if r["on_shift"]),
                         "removed": sorted(r["id"] for r in changed if not r["on_shift"])},
                post_code=code,
            )
    return await get_shift(conn, actor, code)
