"""GET/POST /api/users, GET/PATCH /api/users/{id}, password reset and unlock (admin)."""

from __future__ import annotations

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State

from backend.auth.actor import Actor
from backend.auth.permissions import may
from backend.deps import Conn
from backend.users import service
from backend.users.schemas import (
    Role,
    UnlockedOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
    UserWithPassword,
)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]

    # Auditors read every account (who did what); only admins change them.
    @get("/", guards=[may("user.read")])
    async def list_users(self, conn: Conn, post_code: str | None = None,
                         role: Role | None = None) -> list[UserOut]:
        """Every account, optionally of one post or role."""
        return await service.list_users(conn, post_code.strip().upper() if post_code else None, role)

    @post("/", guards=[may("user.admin")], status_code=201)
    async def create_user(self, data: UserCreateIn, request: Request[Actor, str, State],
                          conn: Conn) -> UserWithPassword:
        """A new account; its one-time password is in this response only."""
        return await service.create_user(conn, request.user, data)

    @get("/{user_id:str}", guards=[may("user.read")])
    async def get_user(self, user_id: str, conn: Conn) -> UserOut:
        return await service.get_user(conn, user_id)

    @patch("/{user_id:str}", guards=[may("user.admin")])
    async def update_user(self, user_id: str, data: UserPatchIn,
                          request: Request[Actor, str, State], conn: Conn) -> UserOut:
        """Change name, role, post or active; deactivating ends the user's sessions."""
        return await service.update_user(conn, request.user, user_id, data)

    @post("/{user_id:str}/password-reset", guards=[may("user.admin")], status_code=200)
    async def reset_password(self, user_id: str, request: Request[Actor, str, State],
                             conn: Conn) -> UserWithPassword:
        """A new one-time password (shown once); the user must change it at next login."""
        return await service.reset_password(conn, request.user, user_id)

    @post("/{user_id:str}/unlock", guards=[may("user.admin")], status_code=200)
    async def unlock(self, user_id: str, request: Request[Actor, str, State],
                     conn: Conn) -> UnlockedOut:
        """Clear the failed-login count of this user's login."""
        return await service.unlock(conn, request.user, user_id)
