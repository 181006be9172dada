"""What a push says and how long and how urgently a push service should keep trying it."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import msgspec

from backend.push.schemas import Notification

# A record of aes128gcm carries at most 4096 - 86 (header) - 16 (tag) - 1 (delimiter) bytes;
# we stay well below, and below what every push service accepts.
PAYLOAD_LIMIT = 3 * 1024

Urgency = Literal["very-low", "low", "normal", "high"]


class PushPolicy(NamedTuple):
    ttl_s: int  # how long the push service keeps it for an offline browser (RFC 8030 TTL)
    urgency: Urgency  # RFC 8030 §5.3: may a phone on battery be woken for it


HOUR, DAY = 3600, 86400

# Per alert kind. Overrides and a broken audit chain must reach an auditor who comes online
# days later; an inspection start is stale within the hour.
POLICIES: dict[str, PushPolicy] = {
    "release_override": PushPolicy(7 * DAY, "high"),
    "audit_chain_broken": PushPolicy(7 * DAY, "high"),
    "suspicion_after_release": PushPolicy(7 * DAY, "high"),
    "idk_suspicion": PushPolicy(DAY, "high"),
    "recording_refused": PushPolicy(DAY, "high"),
    "missing_evidence": PushPolicy(DAY, "high"),
    "no_inspector": PushPolicy(4 * HOUR, "high"),
    "validation_failed": PushPolicy(DAY, "normal"),
    "phase_too_short": PushPolicy(DAY, "normal"),
    "release_refused": PushPolicy(DAY, "normal"),
    "inspector_reassigned": PushPolicy(DAY, "normal"),
    "upload_stalled": PushPolicy(4 * HOUR, "normal"),
    "inspection_started": PushPolicy(HOUR, "low"),
    "test": PushPolicy(10 * 60, "normal"),
}
DEFAULT_POLICY = PushPolicy(DAY, "normal")


def policy_for(kind: str) -> PushPolicy:
    return POLICIES.get(kind, DEFAULT_POLICY)


def from_alert(row: Any) -> Notification:
    return Notification(
        id=str(row["id"]), kind=row["kind"], title=row["title"], body=row["body"],
        link=row["link"], alert_id=str(row["id"]),
    )


def test_notification(test_id: str) -> Notification:
    return Notification(
        id=test_id, kind="test", title="Dosmotr: проверка уведомлений",
        body="Уведомления на этом устройстве работают.", link="/", alert_id=None,
    )


def encode(n: Notification) -> bytes:
    """JSON of at most PAYLOAD_LIMIT bytes: the body (then the title) is shortened to fit."""
    data = msgspec.json.encode(n)
    if len(data) <= PAYLOAD_LIMIT:
        return data
    for field in ("body", "title"):
        text = getattr(n, field)
        while len(data) > PAYLOAD_LIMIT and text:
            over = len(data) - PAYLOAD_LIMIT
            # Characters may be several bytes (Cyrillic is 2): cut at least `over` bytes' worth.
            text = text[: max(0, len(text) - max(1, over // 2) - 1)]
            n = msgspec.structs.replace(n, **{field: text + "…"})
            data = msgspec.json.encode(n)
        if len(data) <= PAYLOAD_LIMIT:
            return data
    raise ValueError("a notification without body and title is still too large")
