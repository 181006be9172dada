"""One module per check; each exposes `check(...) -> CheckResult`, a pure function."""

from media_pipeline.context import Phase

# Checks beyond the common ones (probe, integrity, duration, continuity, geotag), per phase.
PHASE_CHECKS: dict[Phase, tuple[str, ...]] = {
    "exterior": ("identity",),
    "unloading": ("completeness",),
    "recount": ("recount",),
    "opening": ("recount",),
}


def spans(times: list[float], step: float, min_len: float = 0.0) -> list[tuple[float, float]]:
    """Merge sorted instants closer than `step` into [start, end] spans of at least `min_len`."""
    out: list[tuple[float, float]] = []
    for t in times:
        if out and t - out[-1][1] <= step * 1.01:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return [s for s in out if s[1] - s[0] >= min_len]
