"""Geotag: the GPS track covers the take, stays inside the post's geofence (allowing for each
fix's accuracy), never jumps faster than a vehicle can move, and does not look synthetic."""

from __future__ import annotations

import itertools
import math

from contract.report import CheckResult, Verdict, result
from media_pipeline.context import Policy, Polygon, TrackPoint

EARTH_RADIUS_M = 6_371_008.8
CONSTANT_MIN_POINTS = 5


def local_xy(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """Equirectangular metres around (lat0, lon0): exact enough over a customs post."""
    x = math.radians(lon - lon0) * math.cos(math.radians(lat0)) * EARTH_RADIUS_M
    y = math.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def _inside(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _edge_distance(x: float, y: float, ring: list[tuple[float, float]]) -> float:
    best = math.inf
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        u = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        best = min(best, math.hypot(x - (x1 + u * dx), y - (y1 + u * dy)))
    return best


def outside_distance_m(poly: Polygon, lat: float, lon: float) -> float:
    """Metres outside the polygon (0 inside; holes count as outside)."""
    outer = poly.coordinates[0]
    lon0 = sum(p[0] for p in outer) / len(outer)
    lat0 = sum(p[1] for p in outer) / len(outer)
    rings = [[local_xy(lat0, lon0, q[1], q[0]) for q in ring] for ring in poly.coordinates]
    x, y = local_xy(lat0, lon0, lat, lon)
    if not _inside(x, y, rings[0]):
        return _edge_distance(x, y, rings[0])
    for hole in rings[1:]:
        if _inside(x, y, hole):
            return _edge_distance(x, y, hole)
    return 0.0


def check(track: tuple[TrackPoint, ...], duration: float, policy: Policy) -> CheckResult:
    pts = sorted(track, key=lambda p: p.t)
    if not pts:
        return result("geotag", "fail", 0.0, 1.0, "no GPS track in the manifest", [(0, duration)])
    fails: list[str] = []
    warns: list[str] = []
    times: list[tuple[float, float]] = []

    # coverage: first and last fix near the ends, no long silence in between
    edge = policy.track_edge_s
    holes = [(a.t, b.t) for a, b in itertools.pairwise(pts) if b.t - a.t > policy.track_gap_s]
    if pts[0].t > edge:
        holes.insert(0, (0.0, pts[0].t))
    if pts[-1].t < duration - edge:
        holes.append((pts[-1].t, duration))
    uncovered = sum(b - a for a, b in holes)
    if holes:
        fails.append(f"track misses {uncovered:.0f} s of the take")
        times += holes

    outside: list[TrackPoint] = []
    if policy.geofence is not None:
        for p in pts:
            if outside_distance_m(policy.geofence, p.lat, p.lon) > p.acc + policy.gps_tolerance_m:
                outside.append(p)
        if outside:
            fails.append(f"{len(outside)} of {len(pts)} fixes outside the post geofence")
            times += [(p.t, p.t) for p in outside]

    jumps = []
    for a, b in itertools.pairwise(pts):
        dt = b.t - a.t
        # accuracy circles can overlap: only movement beyond both is real
        moved = haversine_m(a.lat, a.lon, b.lat, b.lon) - a.acc - b.acc
        if dt > 0 and moved > 0 and moved / dt > policy.max_speed_mps:
            jumps.append((a.t, b.t, moved / dt))
        elif dt <= 0 and moved > 0:
            jumps.append((a.t, b.t, math.inf))
    if jumps:
        fastest = max(j[2] for j in jumps)
        fails.append(f"{len(jumps)} impossible jump(s), up to {fastest:.0f} m/s")
        times += [(a, b) for a, b, _ in jumps]

    if (
        len(pts) >= CONSTANT_MIN_POINTS
        and len({(p.lat, p.lon) for p in pts}) == 1
        and len({p.acc for p in pts}) == 1
    ):
        warns.append("identical position and accuracy for the whole take: possible spoofing")
        times.append((pts[0].t, pts[-1].t))

    good = len(pts) - len(outside)
    coverage = max(0.0, 1.0 - uncovered / duration) if duration > 0 else 0.0
    score = min(good / len(pts), coverage)
    verdict: Verdict = "fail" if fails else "warn" if warns else "pass"
    detail = "; ".join(fails + warns) or (
        f"{len(pts)} fixes cover the take inside the geofence, speed ≤ {policy.max_speed_mps:g} m/s"
    )
    return result("geotag", verdict, score, 1.0, detail, times)
