"""Integrity: what intake verified (hash, chunk chain, signature, approved device) and the
device clock against the server's receive time."""

from __future__ import annotations

from contract.report import CheckResult, ParamValue, Verdict, result
from media_pipeline.context import CheckContext


def check(ctx: CheckContext, file_size: int | None, duration: float | None) -> CheckResult:
    intake, manifest, skew = ctx.intake, ctx.manifest, ctx.policy.clock_skew_s
    # (code, text, params), most serious first: the first one names the finding
    failures: list[tuple[str, str, dict[str, ParamValue]]] = []
    warnings: list[tuple[str, str, dict[str, ParamValue]]] = []
    facts = {
        ("hash_mismatch", "SHA-256 does not match the manifest"): intake.hash_ok,
        ("chain_broken", "chunk hash chain broken"): intake.chain_ok,
        ("signature_invalid", "signature invalid for the device key"): intake.signature_ok,
        ("device_not_approved", "device not approved"): intake.device_approved,
    }
    failures += [(code, text, {}) for (code, text), ok in facts.items() if not ok]
    if file_size is not None and file_size != manifest.size:
        failures.append((
            "size_mismatch", f"file has {file_size} bytes, manifest says {manifest.size}",
            {"file_bytes": file_size, "manifest_bytes": manifest.size},
        ))  # fmt: skip

    # The tablet may upload hours after recording (offline), so only a clock running *ahead*
    # of the server is impossible; a late arrival is shown to a person, not failed.
    lag = (intake.server_received_at - manifest.recorded_to).total_seconds()
    clock_ok = abs(lag) <= skew
    tolerance: dict[str, ParamValue] = {"tolerance_s": round(skew)}
    if lag < -skew:
        failures.append((
            "clock_ahead", f"device clock {-lag:.0f} s ahead of the server (tolerance {skew:.0f} s)",
            {"ahead_s": round(-lag), **tolerance},
        ))  # fmt: skip
    elif lag > skew:
        warnings.append((
            "late_upload", f"received {lag:.0f} s after recording ended: late upload or clock behind",
            {"late_s": round(lag), **tolerance},
        ))  # fmt: skip

    span = (manifest.recorded_to - manifest.recorded_from).total_seconds()
    if duration is not None and abs(span - duration) > skew:
        warnings.append((
            "clock_span_mismatch", f"device clock span {span:.0f} s vs video {duration:.0f} s",
            {"span_s": round(span), "video_s": round(duration)},
        ))  # fmt: skip

    met = sum(facts.values()) + int(clock_ok)
    score = met / (len(facts) + 1)
    findings = failures + warnings
    if findings:
        params: dict[str, ParamValue] = {}
        for _code, _text, p in reversed(findings):
            params.update(p)
        params["findings"] = ",".join(code for code, _t, _p in findings)
        verdict: Verdict = "fail" if failures else "warn"
        detail = "; ".join(text for _c, text, _p in findings)
        return result("integrity", verdict, score, 1.0, detail, code=findings[0][0], params=params)
    return result(
        "integrity", "pass", score, 1.0,
        f"hash, chain, signature and device verified; clock within {skew:.0f} s",
        code="verified", params=tolerance,
    )  # fmt: skip
