"""The `Dosmotr-Signature` header of a webhook delivery: `t=UNIX_SECONDS,v1=HEX`, HEX being
HMAC-SHA256 with the webhook's secret over `t + "." + raw body` (Stripe's scheme: the time
inside the MAC stops a captured delivery being replayed later). Pure; the receiver's check
lives here too so the tests' stand-in of the declaration system verifies with the same rule."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Dosmotr-Signature"
TOLERANCE_S = 300


def _mac(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance_s` of `now`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - t) > tolerance_s or "v1" not in parts:
        return False
    return hmac.compare_digest(parts["v1"], _mac(secret, t, body))
