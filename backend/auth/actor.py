"""The authenticated caller, as every service sees it."""

from __future__ import annotations

import msgspec

ROLES = ("inspector", "idk_operator", "post_head", "auditor", "integration", "admin")
# Roles not tied to one post: they see across posts (auditor reads only).
CROSS_POST_ROLES = frozenset({"auditor", "integration", "admin"})


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
        return self.role in CROSS_POST_ROLES or self.post_code == post_code
