"""Job names and payloads: the API enqueues them, the worker runs them (PgQueuer, in
PostgreSQL). Enqueueing itself lives in `backend.jobs`, on the caller's connection."""

from __future__ import annotations

import msgspec

VALIDATE_RECORDING = "validate_recording"
DELIVER_PUSH = "deliver_push"


class ValidateRecording(msgspec.Struct, frozen=True):
    recording_id: str
    # the report version this job writes: 1 on intake, the next one on each revalidation
    version: int = 1
    # set by a revalidation: the audited reason and who asked
    reason: str | None = None
    requested_by: str | None = None


class DeliverPush(msgspec.Struct, frozen=True):
    """One web-push fan-out: an alert to its recipients' subscriptions, or a test
    notification (`test_id`) to one user's subscriptions."""

    alert_id: str | None = None
    test_id: str | None = None
    user_id: str | None = None
