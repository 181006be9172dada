"""The authenticated caller, as every service sees it."""

from __future__ import annotations

import msgspec

from backend.auth.permissions import CROSS_POST_ROLES, ROLES, sees_post

__all__ = ["CROSS_POST_ROLES", "ROLES", "Actor"]


class Actor(msgspec.Struct, frozen=True):
    id: str
    login: str
    name: str
    role: str
    post_code: str | None
    session_id: str
    # A one-time password is in use: only changing it (or logging out) is allowed.
    must_change_password: bool = False

    def sees_post(self, post_code: str) -> bool:
        return sees_post(self.role, self.post_code, post_code)
