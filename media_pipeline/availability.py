"""A check that could not run says so: `unavailable`, with a code, never a quiet `warn`.

`unavailable` is not evidence either way, so it never satisfies the gate. Three causes:
the model (or OCR) a check needs is missing or failed its sha256; the file could not be read,
so the check never ran; decoding failed on every retry (the worker's last try).
"""

from __future__ import annotations

from collections.abc import Iterable

from contract.phases import required_checks
from contract.report import CheckResult, ParamValue, ValidationReport, build_report, result
from media_pipeline.context import CheckContext, Models

# The back-end (Models attribute) each model-driven check cannot judge without, per phase.
NEEDS_MODEL: dict[tuple[str, str], str] = {
    ("unloading", "completeness"): "occupancy",
    ("recount", "recount"): "counter",
    ("exterior", "identity"): "ocr",
}
# What a worker must have loaded before it takes any job.
REQUIRED_ROLES: tuple[str, ...] = ("occupancy", "counter", "ocr")
ROLE_NAMES = {"occupancy": "bay occupancy model", "counter": "cargo counter model",
              "ocr": "OCR (rapidocr-onnxruntime)", "detector": "people/vehicle detector"}


# Why a back-end is absent, as a stable code (the `reason` param screens translate, i18n
# `model_reason.<code>`); the free text stays in Models.missing and the check's detail.
MISSING_REASONS = ("model_missing", "model_sha256_mismatch", "model_manifest_invalid",
                   "ocr_not_installed", "model_load_failed", "not_loaded")


def missing_reason(exc: BaseException, role: str) -> str:
    """The code of what kept `role`'s back-end from loading."""
    from media_pipeline.vision.registry import (
        ManifestError,
        ModelIntegrityError,
        ModelNotFoundError,
    )

    if isinstance(exc, ModelIntegrityError):
        return "model_sha256_mismatch"
    if isinstance(exc, ModelNotFoundError):
        return "model_missing"
    if isinstance(exc, ManifestError):
        return "model_manifest_invalid"
    if role == "ocr" and isinstance(exc, ImportError):
        return "ocr_not_installed"
    return "model_load_failed"


class ModelsMissing(RuntimeError):
    """The worker cannot judge evidence: a required model or the OCR is missing."""


def missing_roles(models: Models, roles: Iterable[str] = REQUIRED_ROLES) -> dict[str, str]:
    """role -> why it is not there, for each wanted role without a loaded back-end."""
    out: dict[str, str] = {}
    for role in roles:
        if getattr(models, role, None) is None:
            out[role] = models.missing.get(role, "not loaded")
    return out


def require_models(models: Models, roles: Iterable[str] = REQUIRED_ROLES) -> None:
    """Raise `ModelsMissing` with a message naming each missing back-end and why."""
    gone = missing_roles(models, roles)
    if gone:
        lines = [f"  - {ROLE_NAMES.get(r, r)}: {why}" for r, why in gone.items()]
        raise ModelsMissing(
            "the worker will not start: checks would have nothing to judge with\n"
            + "\n".join(lines)
            + "\nrestore the model files (models/ with their manifests) or install the OCR"
        )


def without_model(
    check: CheckResult, role: str, why: str, reason: str = "not_loaded"
) -> CheckResult:
    """A model-driven check whose model is absent: `unavailable`, unless what it could judge
    without the model (taps against the declaration, say) already failed. `reason` is the
    code screens show; `why` (free text) goes only into the detail."""
    if check.verdict == "fail":
        return check
    name = ROLE_NAMES.get(role, role)
    return result(
        check.name, "unavailable", 0.0, check.threshold,
        f"{name} unavailable ({why}): not judged; {check.detail}", check.times,
        code="model_unavailable", params={"model": role, "reason": reason},
    )  # fmt: skip


def mark_unavailable(checks: list[CheckResult], phase: str, models: Models) -> list[CheckResult]:
    out = []
    for c in checks:
        role = NEEDS_MODEL.get((phase, c.name))
        if role is not None and getattr(models, role, None) is None:
            c = without_model(c, role, models.missing.get(role, "not loaded"),
                              models.missing_codes.get(role, "not_loaded"))
        out.append(c)
    return out


def not_run(
    phase: str, done: Iterable[CheckResult], code: str, detail: str,
    params: dict[str, ParamValue] | None = None,
) -> list[CheckResult]:
    """The phase's required checks missing from `done`, each `unavailable` with `code`."""
    have = {c.name for c in done}
    return [
        result(name, "unavailable", 0.0, 1.0, detail, code=code, params=params)
        for name in required_checks(phase) if name not in have
    ]  # fmt: skip


def transient_code(exc: BaseException) -> str:
    """The stable code of what kept a check from running on every try."""
    from media_pipeline.ffmpeg import FfmpegKilled, FfmpegTimeout

    if isinstance(exc, FfmpegTimeout):
        return "decode_timeout"
    if isinstance(exc, FfmpegKilled):
        return "decoder_killed"
    if isinstance(exc, OSError):
        return "store_unreadable"
    return "pipeline_error"


def unavailable_report(
    phase: str, ctx: CheckContext | None, exc: BaseException, attempts: int
) -> ValidationReport:
    """What the last failed try leaves: every required check `unavailable` with the cause,
    except integrity, which intake already established and needs no decoding."""
    from media_pipeline.checks import integrity

    code = transient_code(exc)
    why = f"{type(exc).__name__}: {exc}"[:300]
    done: list[CheckResult] = []
    if ctx is not None:
        done.append(integrity.check(ctx, None, None))
    done += not_run(
        phase, done, code, f"could not run after {attempts} tries: {why}",
        {"attempts": attempts, "error": why},
    )
    return build_report(done)
