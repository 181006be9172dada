"""The server's VAPID key (RFC 8292): loaded from PEM or base64url raw, generated in demo mode."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


class InvalidVapidKey(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def generate_private_key() -> str:
    """A new P-256 key as base64url of its raw 32-byte private scalar."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def load_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """Accepts a PEM (PKCS#8 or SEC1) or base64url of the raw 32-byte scalar."""
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise InvalidVapidKey("a raw VAPID key is 32 bytes, base64url-encoded")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError, binascii.Error) as exc:
        if isinstance(exc, InvalidVapidKey):
            raise
        raise InvalidVapidKey(str(exc)) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidVapidKey("a VAPID key is an EC P-256 private key")
    return key


def public_key_b64url(value: str) -> str:
    """The uncompressed public point, base64url, as `applicationServerKey` takes it."""
    point = load_private_key(value).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def signer(value: str) -> Vapid02:
    return Vapid02(load_private_key(value))
