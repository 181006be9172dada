"""Bearer-token authentication: sets `request.user` to the Actor, or answers 401."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Method, Receive, Scope, Send

from backend.auth.service import authenticate, password_change_allows
from backend.deps import CONNECT_ERRORS
from backend.errors import (
    DB_RETRY_AFTER_S,
    DatabaseUnavailable,
    PasswordChangeRequired,
    Unauthenticated,
)


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    def __init__(
        self, app: ASGIApp, exclude_http_methods: Sequence[Method] | None = None, **kw: Any
    ) -> None:
        super().__init__(app, exclude_http_methods=exclude_http_methods or (), **kw)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar lets OPTIONS through unauthenticated by default, but its OPTIONS handler
        # inherits a controller's role guards, which then find no user (a 500). So OPTIONS is
        # authenticated like any other method (401, 403 or 204 with Allow) wherever a guard
        # asks who is calling; where none does (tus discovery on /api/uploads) it stays open.
        # CORS preflights never get here: the CORS middleware answers them before routing.
        handler = scope.get("route_handler")
        if scope.get("method") == "OPTIONS" and handler is not None and not handler.resolve_guards():
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send Authorization: Bearer <token> from /api/auth/login")
        state = connection.app.state
        try:
            actor = await authenticate(state.pool, state.secrets.token_pepper, token.strip())
        except CONNECT_ERRORS as exc:
            raise DatabaseUnavailable(
                "the database cannot be reached; try again shortly", retry_after=DB_RETRY_AFTER_S
            ) from exc
        if actor is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        if actor.must_change_password and not password_change_allows(connection.scope["path"]):
            raise PasswordChangeRequired("change the one-time password: POST /api/auth/password")
        return AuthenticationResult(user=actor, auth=token)
