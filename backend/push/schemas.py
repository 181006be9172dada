"""Push Structs: the browser's PushSubscription JSON in, our subscription out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

B64Url = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-]+=*$")]


class SubscriptionKeys(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    p256dh: B64Url
    auth: B64Url


class SubscriptionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Exactly what `PushSubscription.toJSON()` gives (expirationTime: ms since the epoch)."""

    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    keys: SubscriptionKeys
    expiration_time: Annotated[float, msgspec.Meta(ge=0, le=1e14)] | None = msgspec.field(
        default=None, name="expirationTime"
    )


class SubscriptionOut(msgspec.Struct, frozen=True):
    id: str
    endpoint: str
    expiration_time: datetime | None
    user_agent: str | None
    created_at: datetime
    last_sent_at: datetime | None


class VapidKeyOut(msgspec.Struct, frozen=True):
    key: str


class TestQueued(msgspec.Struct, frozen=True):
    notification_id: str
    subscriptions: int


class Notification(msgspec.Struct, frozen=True):
    """What the service worker receives (encrypted): at most PAYLOAD_LIMIT bytes of JSON."""

    id: str
    kind: str
    title: str
    body: str
    link: str | None
    alert_id: str | None
