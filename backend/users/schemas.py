"""User administration Structs: inputs forbid unknown fields, outputs are frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Role = Literal["inspector", "idk_operator", "post_head", "auditor", "integration", "admin"]
Login = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
PostCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class UserOut(msgspec.Struct, frozen=True):
    id: str
    login: str
    name: str
    role: str
    post_code: str | None
    active: bool
    on_shift: bool
    must_change_password: bool
    locked: bool  # the login is over its failed-attempt limit (POST .../unlock clears it)
    created_at: datetime


class UserCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    login: Login
    name: Name
    role: Role
    post_code: PostCode | None = None


class UserPatchIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    post_code: PostCode | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class UserWithPassword(msgspec.Struct, frozen=True):
    """A new or reset account: the one-time password is shown here once and never again."""

    user: UserOut
    one_time_password: str


class UnlockedOut(msgspec.Struct, frozen=True):
    cleared: int
