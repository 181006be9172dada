"""GeoJSON shapes both sides read: a post's geofence."""

from __future__ import annotations

from typing import Literal

import msgspec


class Polygon(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """GeoJSON Polygon: rings of [lon, lat]; the first ring is the outer boundary."""

    coordinates: tuple[tuple[tuple[float, float], ...], ...]
    type: Literal["Polygon"] = "Polygon"
