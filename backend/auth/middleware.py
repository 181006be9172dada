"""Bearer-token authentication: sets `request.user` to the Actor, or answers 401."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from backend.auth.service import authenticate, password_change_allows
from backend.errors import PasswordChangeRequired, Unauthenticated


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send Authorization: Bearer <token> from /api/auth/login")
        state = connection.app.state
        actor = await authenticate(state.pool, state.secrets.token_pepper, token.strip())
        if actor is None:
            raise Unauthenticated("the token is unknown, expired or revoked")
        if actor.must_change_password and not password_change_allows(connection.scope["path"]):
            raise PasswordChangeRequired("change the one-time password: POST /api/auth/password")
        return AuthenticationResult(user=actor, auth=token)
