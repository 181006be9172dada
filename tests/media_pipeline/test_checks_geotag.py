from media_pipeline.checks import geotag
from media_pipeline.context import TrackPoint
from tests import media

POLICY = media.context().policy


def test_track_at_the_post_passes() -> None:
    r = geotag.check(media.track(60.0), 60.0, POLICY)
    assert r.verdict == "pass" and r.score == 1.0


def test_distance_outside_the_geofence_in_metres() -> None:
    fence = media.geofence()
    assert geotag.outside_distance_m(fence, media.POST_LAT, media.POST_LON) == 0.0
    # 0.01 deg of latitude north of the centre is ~1112 m; the fence reaches ~300 m
    d = geotag.outside_distance_m(fence, media.POST_LAT + 0.01, media.POST_LON)
    assert 780 < d < 840


def test_track_outside_the_geofence_fails_with_its_times() -> None:
    far = media.track(60.0, lat=media.POST_LAT + 0.02)
    r = geotag.check(far, 60.0, POLICY)
    assert r.verdict == "fail" and "outside the post geofence" in r.detail
    assert r.times[0] == (0.0, 0.0)


def test_a_fix_just_outside_within_its_accuracy_is_accepted() -> None:
    edge_lat = media.POST_LAT + 0.0027 + 0.0003  # ~33 m beyond the edge
    pts = tuple(TrackPoint(t=p.t, lat=edge_lat, lon=p.lon, acc=15.0) for p in media.track(30.0))
    assert geotag.check(pts, 30.0, POLICY).verdict == "pass"  # 33 m <= 15 m acc + 25 m policy


def test_teleport_fails() -> None:
    pts = list(media.track(60.0))
    pts[6] = TrackPoint(t=pts[6].t, lat=media.POST_LAT + 0.0025, lon=media.POST_LON, acc=5.0)
    r = geotag.check(tuple(pts), 60.0, POLICY)
    assert r.verdict == "fail" and "impossible jump" in r.detail
    assert (25.0, 30.0) in r.times


def test_track_not_covering_the_take_fails() -> None:
    r = geotag.check(media.track(20.0), 90.0, POLICY)
    assert r.verdict == "fail" and "misses" in r.detail and r.times[-1][1] == 90.0
    assert geotag.check((), 30.0, POLICY).verdict == "fail"


def test_perfectly_constant_fixes_warn_of_spoofing() -> None:
    pts = tuple(
        TrackPoint(t=t, lat=media.POST_LAT, lon=media.POST_LON, acc=5.0) for t in range(0, 61, 5)
    )
    r = geotag.check(pts, 60.0, POLICY)
    assert r.verdict == "warn" and "spoofing" in r.detail


# --- a tablet standing still: the last fix repeated with its fix time (fix_t) -------------


def _still(duration: float, every: float = 5.0, fix_t: float = 0.0, acc: float = 9.0):
    """One fresh fix at `fix_t` (<= 0: before the take), then repeats of it every `every` s."""
    pts = []
    t = 0.0
    while t <= duration:
        fresh = t == fix_t
        pts.append(TrackPoint(t=t, lat=media.POST_LAT, lon=media.POST_LON, acc=acc,
                              fix_t=None if fresh else fix_t))
        t += every
    if pts[-1].t < duration:
        pts.append(TrackPoint(t=duration, lat=media.POST_LAT, lon=media.POST_LON, acc=acc,
                              fix_t=fix_t))
    return tuple(pts)


def test_a_stationary_tablet_repeating_one_fix_passes() -> None:
    r = geotag.check(_still(144.0), 144.0, POLICY)
    assert r.verdict == "pass", r.detail
    assert r.code == "track_ok" and r.params["fixes"] == 1 and r.params["points"] == 30
    assert r.params["max_fix_age_s"] == 144.0


def test_a_fix_taken_before_the_take_may_be_repeated() -> None:
    r = geotag.check(_still(60.0, fix_t=-20.0), 60.0, POLICY)
    assert r.verdict == "pass", r.detail


def test_the_same_take_without_repeats_misses_the_take() -> None:
    only_fix = _still(144.0)[:1]
    r = geotag.check(only_fix, 144.0, POLICY)
    assert r.verdict == "fail" and r.code == "track_gap"
    assert r.params["uncovered_s"] == 144.0


def test_a_stationary_track_with_a_lost_fix_still_shows_the_gap() -> None:
    pts = [p for p in _still(120.0) if not 30.0 < p.t < 80.0]  # no fix, no points, for 50 s
    r = geotag.check(tuple(pts), 120.0, POLICY)
    assert r.verdict == "fail" and r.code == "track_gap"
    assert (30.0, 80.0) in r.times and r.params["longest_gap_s"] == 50.0


def test_a_repeat_that_moved_is_not_a_repeat() -> None:
    pts = list(_still(60.0))
    p = pts[4]
    pts[4] = TrackPoint(t=p.t, lat=p.lat + 0.001, lon=p.lon, acc=p.acc, fix_t=p.fix_t)
    r = geotag.check(tuple(pts), 60.0, POLICY)
    assert r.verdict == "fail" and r.code == "repeat_mismatch" and (20.0, 20.0) in r.times


def test_a_repeat_of_a_fix_from_the_future_fails() -> None:
    pts = list(_still(60.0))
    pts[2] = TrackPoint(t=10.0, lat=media.POST_LAT, lon=media.POST_LON, acc=9.0, fix_t=30.0)
    r = geotag.check(tuple(pts), 60.0, POLICY)
    assert r.verdict == "fail" and r.params["mismatched"] == 1


def test_a_jump_is_judged_by_fix_times_not_point_times() -> None:
    # a fix at 0 s repeated until 50 s, then a fresh fix 280 m away at 52 s: the tablet moved
    # 280 m in 52 s of fix time (5 m/s, a walk to the next bay), not in the 2 s between points
    pts = list(_still(50.0, every=5.0))
    far = media.POST_LAT + 0.0025
    pts += [TrackPoint(t=52.0, lat=far, lon=media.POST_LON, acc=5.0),
            TrackPoint(t=57.0, lat=far, lon=media.POST_LON, acc=5.0, fix_t=52.0)]
    assert geotag.check(tuple(pts), 57.0, POLICY).verdict == "pass"
    # the same move between two fresh fixes 2 s apart is a teleport
    pts[-3] = TrackPoint(t=50.0, lat=media.POST_LAT, lon=media.POST_LON, acc=9.0)
    r = geotag.check(tuple(pts), 57.0, POLICY)
    assert r.verdict == "fail" and r.code == "impossible_jump" and (50.0, 52.0) in r.times


def test_a_stationary_tablet_outside_the_fence_fails() -> None:
    pts = tuple(TrackPoint(t=p.t, lat=media.POST_LAT + 0.02, lon=p.lon, acc=p.acc, fix_t=p.fix_t)
                for p in _still(60.0))
    r = geotag.check(pts, 60.0, POLICY)
    assert r.verdict == "fail" and r.code == "outside_geofence"
    assert r.params["outside"] == 1 and len(r.times) == len(pts)


def test_repeats_do_not_count_as_constant_fresh_fixes() -> None:
    assert geotag.check(_still(60.0), 60.0, POLICY).verdict == "pass"
    fresh = tuple(TrackPoint(t=p.t, lat=p.lat, lon=p.lon, acc=p.acc) for p in _still(60.0))
    r = geotag.check(fresh, 60.0, POLICY)
    assert r.verdict == "warn" and r.code == "constant_position"
