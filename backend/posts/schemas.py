"""Post administration Structs: inputs forbid unknown fields, outputs are frozen."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.posts.policy import Policy

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Kind = Literal["road", "rail"]


class PostOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str
    has_idk: bool
    geofence: dict[str, Any]
    policy_version: int = 1


class PostIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    kind: Kind
    geofence: dict[str, Any]  # GeoJSON Polygon, checked by backend.posts.geofence
    has_idk: bool = False
    policy: dict[str, Any] | None = None  # a Policy; the kind's default when left out


class PostPatchIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    has_idk: bool | msgspec.UnsetType = msgspec.UNSET
    geofence: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class VersionedPolicy(Policy, frozen=True, kw_only=True):
    """The policy in force and its version (every inspection records the version it ran under)."""

    version: int


class PolicyVersionOut(msgspec.Struct, frozen=True):
    version: int
    policy: Policy
    created_by: str | None
    created_by_name: str | None
    created_at: datetime


class PolicyVersionSummary(msgspec.Struct, frozen=True):
    version: int
    created_by: str | None
    created_by_name: str | None
    created_at: datetime
    current: bool


class ShiftIn(msgspec.Struct, forbid_unknown_fields=True):
    inspector_ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=100)]],
                             msgspec.Meta(max_length=500)]


class ShiftInspector(msgspec.Struct, frozen=True):
    id: str
    login: str
    name: str
    on_shift: bool


class ShiftOut(msgspec.Struct, frozen=True):
    post_code: str
    inspectors: list[ShiftInspector]
