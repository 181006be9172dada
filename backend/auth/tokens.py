"""Opaque bearer tokens: random, shown once, stored only as a peppered HMAC."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(pepper: str, token: str) -> bytes:
    return hmac.new(pepper.encode(), token.encode(), hashlib.sha256).digest()
