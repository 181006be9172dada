"""Posts: list, create, edit; the versioned policy; who is on shift."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.posts import service
from backend.posts.schemas import (
    PolicyVersionOut,
    PolicyVersionSummary,
    PostIn,
    PostOut,
    PostPatchIn,
    ShiftIn,
    ShiftOut,
    VersionedPolicy,
)


class PostController(Controller):
    path = "/api/posts"
    tags = ["posts"]
    # The machine account of the declaration system creates and reads declarations only.
    guards = [may("post.read")]

    @get("/")
    async def list_posts(self, conn: Conn) -> list[PostOut]:
        return await service.list_posts(conn)

    @post("/", guards=[may("post.admin")], status_code=201)
    async def create_post(self, data: PostIn, request: Request[Actor, str, State],
                          conn: Conn) -> PostOut:
        """A new post with a GeoJSON Polygon geofence; its policy (else the kind's default)
        becomes version 1."""
        return await service.create_post(conn, request.user, data)

    @patch("/{code:str}", guards=[may("post.admin")])
    async def update_post(self, code: str, data: PostPatchIn,
                          request: Request[Actor, str, State], conn: Conn) -> PostOut:
        """Change name, kind, has_idk or the geofence."""
        return await service.update_post(conn, request.user, code, data)

    @get("/{code:str}/policy")
    async def policy(self, code: str, request: Request[Actor, str, State],
                     conn: Conn) -> VersionedPolicy:
        """The policy in force, with its version."""
        return await service.current_policy(conn, request.user, code)

    @put("/{code:str}/policy", guards=[may("post.admin")])
    async def put_policy(self, code: str, data: dict[str, Any],
                         request: Request[Actor, str, State], conn: Conn) -> VersionedPolicy:
        """A new policy version (422 `invalid_policy` with the failing `path`); inspections
        keep the version they were created under."""
        return await service.put_policy(conn, request.user, code, data)

    @get("/{code:str}/policy/versions")
    async def policy_versions(self, code: str, request: Request[Actor, str, State],
                              conn: Conn) -> list[PolicyVersionSummary]:
        return await service.policy_versions(conn, request.user, code)

    @get("/{code:str}/policy/versions/{version:int}")
    async def policy_version(self, code: str, version: int,
                             request: Request[Actor, str, State], conn: Conn) -> PolicyVersionOut:
        return await service.policy_version(conn, request.user, code, version)

    @get("/{code:str}/shift", guards=[may("shift.read")])
    async def shift(self, code: str, request: Request[Actor, str, State], conn: Conn) -> ShiftOut:
        """The post's active inspectors and who of them is on shift."""
        return await service.get_shift(conn, request.user, code)

    @put("/{code:str}/shift", guards=[may("shift.set")])
    async def set_shift(self, code: str, data: ShiftIn, request: Request[Actor, str, State],
                        conn: Conn) -> ShiftOut:
        """Exactly these inspectors of the post are on shift (the post's head or an admin)."""
        return await service.set_shift(conn, request.user, code, data.inspector_ids)
