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
