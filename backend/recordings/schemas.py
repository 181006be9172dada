"""Recording Structs: registration and announcement inputs, read outputs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from contract.manifest import Chunk, Hex64
from contract.phases import Phase

ClientId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{8,64}$")]
Signature = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RecordingIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: ClientId
    phase: Phase
    upload_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Kept as sent: the signature covers these exact values (RFC 8785 of this object).
    manifest: dict[str, Any]
    signature: Signature


class ChainAnnouncementIn(msgspec.Struct, forbid_unknown_fields=True):
    phase: Phase
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    chunks: Annotated[list[Chunk], msgspec.Meta(min_length=1, max_length=200_000)]
    chain_head: Hex64
    signature: Signature


class ChainAnnouncementOut(msgspec.Struct, frozen=True):
    client_id: str
    inspection_id: str
    phase: str
    device_id: str
    chain_head: str
    chunks: int
    announced_at: datetime
    deadline_at: datetime


class Integrity(msgspec.Struct, frozen=True):
    hash_ok: bool
    chain_ok: bool
    signature_ok: bool
    device_approved: bool
    announced_chain_ok: bool | None
    server_received_at: datetime
    clock_skew_s: float


class RecordingOut(msgspec.Struct, frozen=True):
    id: str
    inspection_id: str
    phase: str
    version: int
    client_id: str
    upload_id: str | None
    device_id: str | None
    mime: str | None
    size: int | None
    sha256: str | None
    manifest: dict[str, Any]
    signature: str
    state: str
    integrity: Integrity | None
    validation: dict[str, Any] | None
    received_at: datetime
    created_at: datetime


class RevalidateIn(msgspec.Struct, forbid_unknown_fields=True):
    # why the evidence is judged again (a model restored, a timeout); kept in the audit log
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=2000)]


class RevalidationOut(msgspec.Struct, frozen=True):
    recording_id: str
    version: int  # the report version the queued validation will write
    state: str
    reason: str
    requested_at: datetime
