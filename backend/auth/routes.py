"""POST /api/auth/login, /api/auth/logout; admin revocation of a user's sessions."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from backend.auth import service
from backend.auth.actor import Actor
from backend.auth.guards import roles
from backend.deps import Conn


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class RevokedOut(msgspec.Struct, frozen=True):
    revoked: int


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200, security=[])
    async def login(self, data: LoginIn, state: State) -> service.LoginResult:
        s = state.settings
        return await service.login(state.pool, state.secrets.token_pepper, s.token_ttl_s,
                                   data.login, data.password)

    @post("/logout", status_code=204)
    async def logout(self, request: Request[Actor, str, State], conn: Conn) -> None:
        await service.logout(conn, request.user)


class UserSessionsController(Controller):
    path = "/api/users"
    tags = ["users"]

    @post("/{user_id:str}/revoke-sessions", guards=[roles("admin")], status_code=200)
    async def revoke_sessions(
        self, user_id: str, request: Request[Actor, str, State], conn: Conn
    ) -> RevokedOut:
        return RevokedOut(revoked=await service.revoke_all_sessions(conn, request.user, user_id))
