"""The shared contract: one phase list, one policy with one minimum formula, one manifest."""

from __future__ import annotations

import msgspec
import pytest

from contract.manifest import Manifest
from contract.phases import COMMON_CHECKS, PHASES, required_checks
from contract.policy import Policy, default_policy
from contract.report import CHECK_NAMES

MANIFEST = {
    "device_id": "tab-1", "mime": "video/webm", "size": 10, "sha256": "a" * 64,
    "recorded_from": "2026-01-01T10:00:00+05:00", "recorded_to": "2026-01-01T10:01:00+05:00",
    "chunks": [{"i": 0, "size": 10, "sha256": "b" * 64}], "chain_head": "c" * 64,
    "track": [{"t": 0, "lat": 45.0, "lon": 80.0, "acc": 5}],
    "markers": [{"t": 1, "kind": "place"}, {"t": 2, "kind": "interrupted"}],
}


def test_phase_rules_carry_the_one_minimum_formula() -> None:
    policy = default_policy("road")
    rules = policy.phase_rules("unloading")
    assert rules.minimum(10) == policy.phase_minimum("unloading", 10) == 120 + 3 * 10
    assert rules.minimum(-3) == 120  # a nonsense place count never lowers the bar
    assert rules.max_speed_mps == pytest.approx(60 / 3.6)
    assert policy.phase_rules("no-such-phase").minimum(5) == 0.0


def test_accept_warn_defaults_refuse_identity_and_completeness() -> None:
    policy = default_policy("rail")
    assert set(policy.accept_warn) == set(CHECK_NAMES)
    refused = {name for name in CHECK_NAMES if not policy.accepts_warn(name)}
    assert refused == {"identity", "completeness"}
    assert policy.binding_checks == () and policy.binding_bar == 0.95


def test_stored_policy_without_the_new_fields_decodes_with_defaults() -> None:
    raw = msgspec.to_builtins(default_policy("road"))
    for key in ("accept_warn", "binding_checks", "binding_bar", "max_gap_s"):
        raw.pop(key)
    policy = msgspec.convert(raw, Policy)
    assert not policy.accepts_warn("identity") and policy.accepts_warn("geotag")
    partial = msgspec.convert({**raw, "accept_warn": {"geotag": False}}, Policy)
    assert not partial.accepts_warn("geotag") and not partial.accepts_warn("completeness")
    assert partial.accepts_warn("continuity")


def test_policy_refuses_an_unknown_check_name() -> None:
    raw = msgspec.to_builtins(default_policy("road"))
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**raw, "accept_warn": {"vibes": True}}, Policy)


def test_required_checks_per_phase() -> None:
    assert required_checks("exterior") == (*COMMON_CHECKS, "identity")
    assert required_checks("unloading")[-1] == "completeness"
    assert set(PHASES) == {"exterior", "unloading", "recount", "opening"}


def test_one_manifest_for_intake_and_worker() -> None:
    m = msgspec.convert(MANIFEST, Manifest)
    assert [k.kind for k in m.taps()] == ["place"]
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**MANIFEST, "chain_head": "x"}, Manifest)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({**MANIFEST, "recorded_to": "2026-01-01T10:01:00"}, Manifest)


def test_the_backend_paths_are_the_contract() -> None:
    from backend.posts import policy as posts_policy
    from backend.recordings import manifest as rec_manifest
    from media_pipeline import context

    assert posts_policy.Policy is Policy and rec_manifest.Manifest is Manifest
    assert context.Manifest is Manifest


def test_worker_does_not_import_litestar() -> None:
    import subprocess
    import sys

    code = "import sys, media_pipeline.worker; print('litestar' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
