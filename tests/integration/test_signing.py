"""The webhook signature: what a receiver recomputes from the header, the secret and the body."""

from __future__ import annotations

import hashlib
import hmac
import re

from backend.integration.signing import sign, verify

BODY = b'{"id":"e-1","type":"declaration.corridor_changed","occurred_at":"2026-12-04T21:00:00Z"}'


def test_the_header_is_t_and_the_hmac_over_t_dot_body() -> None:
    header = sign("s3cret", BODY, 1_764_882_000)
    m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert m is not None and m.group(1) == "1764882000"
    expected = hmac.new(b"s3cret", b"1764882000." + BODY, hashlib.sha256).hexdigest()
    assert m.group(2) == expected


def test_verify_accepts_the_signed_body_only() -> None:
    t = 1_764_882_000
    header = sign("s3cret", BODY, t)
    assert verify("s3cret", header, BODY, now=t + 10)
    assert not verify("other", header, BODY, now=t)  # another secret
    assert not verify("s3cret", header, BODY + b" ", now=t)  # a changed body
    assert not verify("s3cret", header, BODY, now=t + 301)  # too old: a replay
    assert not verify("s3cret", header.replace("t=1764882000", "t=1764882001"), BODY, now=t)
    for broken in ("", "t=soon,v1=00", "v1=" + "0" * 64, f"t={t}"):
        assert not verify("s3cret", broken, BODY, now=t)
