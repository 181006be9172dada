"""The audit hash chain: hash_n = sha256(hash_{n-1} || JCS(event_n)), hash_0's prev = 32 zero bytes.

The canonical form covers every column a reader relies on (sequence, time, actor, action,
object, payload), so changing any of them in the database breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import rfc8785

GENESIS = bytes(32)


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
    seq: int,
    at: datetime,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
) -> bytes:
    return rfc8785.dumps(
        {
            "seq": seq,
            "at": canonical_time(at),
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "payload": payload,
        }
    )


def link(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()
