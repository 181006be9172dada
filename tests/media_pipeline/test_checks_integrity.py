from datetime import timedelta

from msgspec.structs import replace

from media_pipeline.checks import duration, integrity
from tests import media


def test_all_verified_passes() -> None:
    ctx = media.context(size=1000)
    r = integrity.check(ctx, 1000, 30.0)
    assert r.verdict == "pass" and r.score == 1.0


def test_each_intake_fact_fails() -> None:
    for field in ("hash_ok", "chain_ok", "signature_ok", "device_approved"):
        ctx = media.context(size=1000)
        ctx = replace(ctx, intake=replace(ctx.intake, **{field: False}))
        r = integrity.check(ctx, 1000, 30.0)
        assert r.verdict == "fail", field
        assert r.score < 1.0


def test_size_differs_from_manifest_fails() -> None:
    r = integrity.check(media.context(size=1000), 999, 30.0)
    assert r.verdict == "fail" and "999 bytes" in r.detail


def test_device_clock_ahead_of_server_fails_and_late_upload_warns() -> None:
    ctx = media.context(size=1)
    ahead = replace(
        ctx.intake, server_received_at=ctx.manifest.recorded_to - timedelta(seconds=600)
    )
    late = replace(ctx.intake, server_received_at=ctx.manifest.recorded_to + timedelta(hours=3))
    assert integrity.check(replace(ctx, intake=ahead), 1, 30.0).verdict == "fail"
    assert integrity.check(replace(ctx, intake=late), 1, 30.0).verdict == "warn"


def test_duration_minimum_is_fixed_plus_per_place() -> None:
    ctx = media.context(places=5)  # 10 s + 5 x 2 s
    assert duration.minimum_seconds(ctx) == 20.0
    assert duration.check(ctx, 19.5).verdict == "fail"
    ok = duration.check(ctx, 20.0)
    assert ok.verdict == "pass" and ok.threshold == 1.0 and ok.score == 1.0
