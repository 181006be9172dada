"""POST /api/auth/login, /api/auth/logout, /api/auth/password; admin revocation and unlock."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from backend.auth import service, throttle
from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    new_password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


def caller_of(request: Request) -> throttle.Caller:
    # The peer address as the ASGI server reports it (behind a proxy, the server must be
    # told to trust its forwarded headers, or every tablet shares the proxy's address).
    address = request.client.host if request.client and request.client.host else "unknown"
    return throttle.Caller(address=address, user_agent=request.headers.get("user-agent", ""))


class RevokedOut(msgspec.Struct, frozen=True):
    revoked: int


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, status_code=200, security=[])
    async def login(self, data: LoginIn, state: State, request: Request) -> service.LoginResult:
        """Log in. After 5 failures on one login or 20 from one address within 15 minutes,
        429 `too_many_attempts` with Retry-After, even for the right password."""
        s = state.settings
        return await service.login(state.pool, state.secrets.token_pepper, s.token_ttl_s,
                                   data.login, data.password, caller_of(request))

    @post("/password", status_code=200)
    async def change_password(
        self, data: PasswordIn, request: Request[Actor, str, State], state: State
    ) -> service.PasswordChanged:
        """Change one's own password (at least 12 characters); ends every other session."""
        return await service.change_password(state.pool, request.user, data.current_password,
                                             data.new_password, caller_of(request))

    @post("/logout", status_code=204)
    async def logout(self, request: Request[Actor, str, State], conn: Conn) -> None:
        await service.logout(conn, request.user)


class UserSessionsController(Controller):
    path = "/api/users"
    tags = ["users"]

    @post("/{user_id:str}/revoke-sessions", guards=[may("user.admin")], status_code=200)
    async def revoke_sessions(
        self, user_id: str, request: Request[Actor, str, State], conn: Conn
    ) -> RevokedOut:
        return RevokedOut(revoked=await service.revoke_all_sessions(conn, request.user, user_id))
