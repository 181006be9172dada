"""Guards as plain functions: which roles may call a handler. Post scoping is the services' job."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from backend.auth.actor import ROLES, Actor
from backend.errors import Forbidden

Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


def roles(*allowed: str) -> Guard:
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        if actor.role not in allowed:
            raise Forbidden(f"role {actor.role} may not call this endpoint")

    guard.__name__ = "roles_" + "_".join(allowed)
    return guard


# Every role except the machine account, which only creates and reads declarations.
HUMANS = ("inspector", "idk_operator", "post_head", "auditor", "admin")
POST_STAFF = ("inspector", "idk_operator", "post_head")
