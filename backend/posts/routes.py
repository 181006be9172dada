"""GET /api/posts, GET /api/posts/{code}/policy."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.guards import HUMANS, roles
from backend.deps import Conn
from backend.errors import NotFound
from backend.posts import repo
from backend.posts.policy import Policy


class PostOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str
    has_idk: bool
    geofence: dict[str, Any]


class PostController(Controller):
    path = "/api/posts"
    tags = ["posts"]
    # The machine account of the declaration system creates and reads declarations only.
    guards = [roles(*HUMANS)]

    @get("/")
    async def list_posts(self, conn: Conn) -> list[PostOut]:
        return [
            PostOut(code=r["code"], name=r["name"], kind=r["kind"], has_idk=r["has_idk"],
                    geofence=r["geofence"])
            for r in await repo.list_posts(conn)
        ]

    @get("/{code:str}/policy")
    async def policy(self, code: str, request: Request[Actor, str, State], conn: Conn) -> Policy:
        policy = await repo.policy_for(conn, code)
        if policy is None or not request.user.sees_post(code):
            raise NotFound(f"post {code} not found")
        return policy
