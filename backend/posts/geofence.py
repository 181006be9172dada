"""A post's geofence: a GeoJSON Polygon (RFC 7946), checked before it is stored."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

from backend.errors import InvalidGeofence

MAX_POSITIONS = 10_000


def _position(value: Any, where: str) -> tuple[float, float]:
    # Exactly [lon, lat]: the worker reads the fence as pairs (contract.geo.Polygon).
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidGeofence(f"{where} is not a position [lon, lat]", path=where)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise InvalidGeofence(f"{where} holds something other than numbers", path=where)
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidGeofence(f"{where} is not finite", path=where)
    if not -180 <= lon <= 180:
        raise InvalidGeofence(f"{where}: longitude {lon} is outside -180..180", path=where)
    if not -90 <= lat <= 90:
        raise InvalidGeofence(f"{where}: latitude {lat} is outside -90..90", path=where)
    return lon, lat


def _ring_area(ring: list[tuple[float, float]]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in pairwise(ring))


def validate_geofence(value: Any) -> dict[str, Any]:
    """The polygon as stored (`{"type": "Polygon", "coordinates": [...]}`), or InvalidGeofence.

    Each ring is closed (last position = first), has at least four positions and encloses an
    area: three distinct corners or more, not all on one line."""
    if not isinstance(value, dict) or value.get("type") != "Polygon":
        raise InvalidGeofence('the geofence must be a GeoJSON object with "type": "Polygon"',
                              path="$.type")
    extra = set(value) - {"type", "coordinates", "bbox"}
    if extra:
        raise InvalidGeofence(f"unknown geofence members {sorted(extra)}", path="$")
    rings = value.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise InvalidGeofence("coordinates must be a list of linear rings", path="$.coordinates")
    if sum(len(r) if isinstance(r, list) else 0 for r in rings) > MAX_POSITIONS:
        raise InvalidGeofence(f"at most {MAX_POSITIONS} positions", path="$.coordinates")
    clean: list[list[list[float]]] = []
    for i, ring in enumerate(rings):
        where = f"$.coordinates[{i}]"
        if not isinstance(ring, list) or len(ring) < 4:
            raise InvalidGeofence(f"{where}: a linear ring has at least 4 positions", path=where)
        points = [_position(p, f"{where}[{j}]") for j, p in enumerate(ring)]
        if points[0] != points[-1]:
            raise InvalidGeofence(f"{where}: the ring is not closed (last position must equal "
                                  "the first)", path=where)
        if len(set(points)) < 3 or abs(_ring_area(points)) < 1e-12:
            raise InvalidGeofence(f"{where}: the ring is degenerate (it encloses no area)",
                                  path=where)
        clean.append([[lon, lat] for lon, lat in points])
    return {"type": "Polygon", "coordinates": clean}
