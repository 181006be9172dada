"""Device public keys: P-256 JWKs as WebCrypto exports them."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec


class InvalidKey(ValueError):
    pass


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidKey("the key must be an EC P-256 JWK")
    if "d" in jwk:
        raise InvalidKey("a private key was sent; register the public key only")
    try:
        x, y = b64url_decode(str(jwk["x"])), b64url_decode(str(jwk["y"]))
    except (KeyError, ValueError) as exc:
        raise InvalidKey("x and y must be base64url coordinates") from exc
    if len(x) != 32 or len(y) != 32:
        raise InvalidKey("x and y must be 32 bytes each")
    try:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return numbers.public_key()
    except ValueError as exc:
        raise InvalidKey("the point is not on the P-256 curve") from exc


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (sha256, base64url): one registration per key."""
    members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def canonical_public_jwk(jwk: dict[str, Any]) -> dict[str, str]:
    return {"kty": "EC", "crv": "P-256", "x": str(jwk["x"]), "y": str(jwk["y"])}
