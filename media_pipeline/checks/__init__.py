"""One module per check; each exposes `check(...) -> CheckResult`, a pure function."""

from contract.phases import COMMON_CHECKS, PHASE_CHECKS, required_checks

__all__ = ["COMMON_CHECKS", "PHASE_CHECKS", "required_checks", "spans"]


def spans(times: list[float], step: float, min_len: float = 0.0) -> list[tuple[float, float]]:
    """Merge sorted instants closer than `step` into [start, end] spans of at least `min_len`."""
    out: list[tuple[float, float]] = []
    for t in times:
        if out and t - out[-1][1] <= step * 1.01:
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return [s for s in out if s[1] - s[0] >= min_len]
