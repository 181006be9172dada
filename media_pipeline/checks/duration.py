"""Duration: at least the phase minimum, fixed plus per declared cargo place."""

from __future__ import annotations

from contract.report import CheckResult, ParamValue, result
from media_pipeline.context import CheckContext


def minimum_seconds(ctx: CheckContext) -> float:
    return ctx.policy.minimum(ctx.declaration.places)


def check(ctx: CheckContext, duration: float) -> CheckResult:
    need = minimum_seconds(ctx)
    score = duration / need if need > 0 else 1.0
    detail = f"{duration:.1f} s recorded, {need:.1f} s required"
    params: dict[str, ParamValue] = {"recorded_s": round(duration, 1), "required_s": round(need, 1)}
    if duration + 1e-6 < need:
        return result(
            "duration", "fail", score, 1.0, detail + " — too short", [(0.0, duration)],
            code="too_short", params=params,
        )  # fmt: skip
    return result("duration", "pass", score, 1.0, detail, code="long_enough", params=params)
