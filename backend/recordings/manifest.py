"""The recording manifest (its shape: `contract.manifest`), the rolling chunk chain, and the
device signature.

chain: h_0 = 32 zero bytes, h_i = sha256(h_{i-1} || sha256(chunk_i)); chain_head = hex(h_n).
signature: ECDSA P-256 / SHA-256 over RFC 8785 (JCS) of the manifest exactly as sent,
base64 of r||s (what WebCrypto returns).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from backend.devices.keys import public_key_from_jwk
from contract.manifest import Chunk, Hex64, Manifest, Marker, Seconds, TrackPoint

__all__ = ["Chunk", "Hex64", "Manifest", "Marker", "Seconds", "TrackPoint"]

GENESIS = bytes(32)


def chain_step(prev: bytes, chunk_sha256: bytes) -> bytes:
    return hashlib.sha256(prev + chunk_sha256).digest()


def chain_head(chunk_hashes: list[str]) -> str:
    h = GENESIS
    for digest in chunk_hashes:
        h = chain_step(h, bytes.fromhex(digest))
    return h.hex()


def canonical(value: Any) -> bytes:
    return rfc8785.dumps(value)


def decode_signature(signature_b64: str) -> tuple[int, int]:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("signature is not base64") from exc
    if len(raw) != 64:
        raise ValueError("signature must be 64 bytes (r||s of P-256)")
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def verify_signature(jwk: dict[str, Any], signed: Any, signature_b64: str) -> bool:
    """True if `signature_b64` signs JCS(`signed`) under the device's public key."""
    try:
        r, s = decode_signature(signature_b64)
        key = public_key_from_jwk(jwk)
        key.verify(encode_dss_signature(r, s), canonical(signed), ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return False
    return True


def sign_for_tests(private_key: ec.EllipticCurvePrivateKey, signed: Any) -> str:
    """What a tablet does: sign JCS bytes and return base64(r||s). Used by tests and the bench."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    der = private_key.sign(canonical(signed), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()


def announcement_payload(
    inspection_id: str, client_id: str, phase: str, device_id: str, chunks: list[Any],
    head: str,
) -> dict[str, Any]:
    """What the device signs when it announces a chain before the bytes."""
    return {
        "inspection_id": inspection_id,
        "client_id": client_id,
        "phase": phase,
        "device_id": device_id,
        "chunks": chunks,
        "chain_head": head,
    }
