"""Integrity: what intake verified (hash, chunk chain, signature, approved device) and the
device clock against the server's receive time."""

from __future__ import annotations

from contract.report import CheckResult, result
from media_pipeline.context import CheckContext


def check(ctx: CheckContext, file_size: int | None, duration: float | None) -> CheckResult:
    intake, manifest, skew = ctx.intake, ctx.manifest, ctx.policy.clock_skew_s
    failures: list[str] = []
    warnings: list[str] = []
    facts = {
        "SHA-256 does not match the manifest": intake.hash_ok,
        "chunk hash chain broken": intake.chain_ok,
        "signature invalid for the device key": intake.signature_ok,
        "device not approved": intake.device_approved,
    }
    failures += [text for text, ok in facts.items() if not ok]
    if file_size is not None and file_size != manifest.size:
        failures.append(f"file has {file_size} bytes, manifest says {manifest.size}")

    # The tablet may upload hours after recording (offline), so only a clock running *ahead*
    # of the server is impossible; a late arrival is shown to a person, not failed.
    lag = (intake.server_received_at - manifest.recorded_to).total_seconds()
    clock_ok = abs(lag) <= skew
    if lag < -skew:
        failures.append(f"device clock {-lag:.0f} s ahead of the server (tolerance {skew:.0f} s)")
    elif lag > skew:
        warnings.append(f"received {lag:.0f} s after recording ended: late upload or clock behind")

    span = (manifest.recorded_to - manifest.recorded_from).total_seconds()
    if duration is not None and abs(span - duration) > skew:
        warnings.append(f"device clock span {span:.0f} s vs video {duration:.0f} s")

    met = sum(facts.values()) + int(clock_ok)
    score = met / (len(facts) + 1)
    if failures:
        return result("integrity", "fail", score, 1.0, "; ".join(failures + warnings))
    if warnings:
        return result("integrity", "warn", score, 1.0, "; ".join(warnings))
    return result(
        "integrity",
        "pass",
        score,
        1.0,
        f"hash, chain, signature and device verified; clock within {skew:.0f} s",
    )
