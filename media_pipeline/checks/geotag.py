"""Geotag: the GPS track covers the take, stays inside the post's geofence (allowing for each
fix's accuracy), never jumps faster than a vehicle can move, and does not look synthetic.

A tablet records a track point at least every few seconds. When the receiver has no newer fix
(a tablet standing still: Chromium's watchPosition reports on change only) the point repeats
the last fix, and its `fix_t` says when that fix was taken (seconds from the start of the
recording; negative for a fix taken before the take started). So coverage is judged by the
point stream, speed by fix times, and a repeat must agree with the fix it repeats.
"""

from __future__ import annotations

import itertools
import math

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.context import Policy, Polygon, TrackPoint

EARTH_RADIUS_M = 6_371_008.8
CONSTANT_MIN_FIXES = 5
# two records of one fix agree to the rounding the tablet applies (7 decimals, 0.1 m)
SAME_FIX_DEG = 1e-6
SAME_FIX_ACC_M = 0.05


def fix_time(p: TrackPoint) -> float:
    """When the fix behind a point was taken: its own time unless it repeats an earlier fix."""
    return p.t if p.fix_t is None else p.fix_t


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


class Fix:
    """One receiver fix and the points that record it."""

    def __init__(self, at: float, first: TrackPoint) -> None:
        self.at = at
        self.lat, self.lon, self.acc = first.lat, first.lon, first.acc
        self.points: list[TrackPoint] = [first]

    def agrees(self, p: TrackPoint) -> bool:
        return (
            abs(p.lat - self.lat) <= SAME_FIX_DEG
            and abs(p.lon - self.lon) <= SAME_FIX_DEG
            and abs(p.acc - self.acc) <= SAME_FIX_ACC_M
        )


def _fixes(pts: list[TrackPoint]) -> tuple[list[Fix], list[TrackPoint]]:
    """Groups points by the fix they record; returns the fixes (by fix time) and the points
    that cannot be what they claim (a fix from the future, or a repeat that differs)."""
    by_time: dict[float, Fix] = {}
    bad: list[TrackPoint] = []
    for p in pts:
        at = round(fix_time(p), 3)
        if at > p.t + 1e-3:
            bad.append(p)
            continue
        fix = by_time.get(at)
        if fix is None:
            by_time[at] = Fix(at, p)
        elif fix.agrees(p):
            fix.points.append(p)
        else:
            bad.append(p)
    return [by_time[k] for k in sorted(by_time)], bad


class _Findings:
    def __init__(self) -> None:
        self.fails: list[tuple[str, str]] = []  # (code, detail)
        self.warns: list[tuple[str, str]] = []
        self.times: list[tuple[float, float]] = []
        self.params: dict[str, ParamValue] = {}


def _coverage(pts: list[TrackPoint], duration: float, policy: Policy, f: _Findings) -> float:
    """The point stream's holes: a stretch with no point at all means the tablet had no fix."""
    edge = policy.track_edge_s
    holes = [(a.t, b.t) for a, b in itertools.pairwise(pts) if b.t - a.t > policy.track_gap_s]
    if pts[0].t > edge:
        holes.insert(0, (0.0, pts[0].t))
    if pts[-1].t < duration - edge:
        holes.append((pts[-1].t, duration))
    uncovered = sum(b - a for a, b in holes)
    if holes:
        longest = max(b - a for a, b in holes)
        f.fails.append(("track_gap", f"track misses {uncovered:.0f} s of the take"))
        f.params.update(uncovered_s=round(uncovered, 1), longest_gap_s=round(longest, 1))
        f.times += holes
    return uncovered


def _jumps(fixes: list[Fix], policy: Policy, f: _Findings) -> None:
    """Speed between consecutive fixes by their fix times: repeats of a fix do not move."""
    jumps: list[tuple[float, float, float]] = []
    for a, b in itertools.pairwise(fixes):
        dt = b.at - a.at
        # accuracy circles can overlap: only movement beyond both is real
        moved = haversine_m(a.lat, a.lon, b.lat, b.lon) - a.acc - b.acc
        if moved > 0 and moved / dt > policy.max_speed_mps:
            jumps.append((a.points[-1].t, b.points[0].t, moved / dt))
    if jumps:
        fastest = max(j[2] for j in jumps)
        f.fails.append(("impossible_jump", f"{len(jumps)} impossible jump(s), up to {fastest:.0f} m/s"))
        f.params.update(jumps=len(jumps), max_speed_mps=round(fastest, 1))
        f.times += [(a, b) for a, b, _ in jumps]


def check(track: tuple[TrackPoint, ...], duration: float, policy: Policy) -> CheckResult:
    pts = sorted(track, key=lambda p: p.t)
    if not pts:
        return result(
            "geotag", "fail", 0.0, 1.0, "no GPS track in the manifest", [(0, duration)],
            code="no_track",
        )
    f = _Findings()
    fixes, bad = _fixes(pts)
    f.params.update(points=len(pts), fixes=len(fixes))
    if bad:
        f.fails.append((
            "repeat_mismatch",
            f"{len(bad)} point(s) repeat a fix they do not match (time or position)",
        ))
        f.params.update(mismatched=len(bad))
        f.times += [(p.t, p.t) for p in bad]
    bad_ids = {id(p) for p in bad}
    good_pts = [p for p in pts if id(p) not in bad_ids] or pts
    uncovered = _coverage(good_pts, duration, policy, f)

    outside: list[Fix] = []
    if policy.geofence is not None:
        fence = policy.geofence
        outside = [x for x in fixes if outside_distance_m(fence, x.lat, x.lon) > x.acc + policy.gps_tolerance_m]
        if outside:
            f.fails.append((
                "outside_geofence", f"{len(outside)} of {len(fixes)} fixes outside the post geofence"
            ))
            f.params.update(outside=len(outside))
            f.times += [(p.t, p.t) for x in outside for p in x.points]
    _jumps(fixes, policy, f)

    if (
        len(fixes) >= CONSTANT_MIN_FIXES
        and len({(x.lat, x.lon) for x in fixes}) == 1
        and len({x.acc for x in fixes}) == 1
    ):
        f.warns.append((
            "constant_position",
            "identical position and accuracy in every fresh fix: possible spoofing",
        ))
        f.times.append((pts[0].t, pts[-1].t))

    stale = max((p.t - fix_time(p) for p in good_pts), default=0.0)
    f.params.update(max_fix_age_s=round(max(0.0, stale), 1))
    outside_pts = sum(len(x.points) for x in outside)
    coverage = max(0.0, 1.0 - uncovered / duration) if duration > 0 else 0.0
    score = min((len(pts) - outside_pts - len(bad)) / len(pts), coverage)
    verdict: Verdict = "fail" if f.fails else "warn" if f.warns else "pass"
    findings = f.fails + f.warns
    if findings:
        code = findings[0][0]
        detail = "; ".join(d for _, d in findings)
    else:
        code = "track_ok"
        f.params.update(max_speed_limit_mps=policy.max_speed_mps)
        repeats = len(pts) - len(fixes)
        detail = (
            f"{len(pts)} points ({len(fixes)} fixes, {repeats} repeated while standing still) "
            f"cover the take inside the geofence, speed ≤ {policy.max_speed_mps:g} m/s"
        )
    return result("geotag", verdict, score, 1.0, detail, f.times, code=code, params=f.params)
