"""The job contract shared by the API (which enqueues) and the worker (which runs): names and
payloads. Jobs live in PostgreSQL (PgQueuer), so enqueueing joins the caller's transaction."""

from __future__ import annotations

import asyncpg
import msgspec
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries

VALIDATE_RECORDING = "validate_recording"


class ValidateRecording(msgspec.Struct, frozen=True):
    recording_id: str


async def install_queue(conn: asyncpg.Connection) -> None:
    """Create PgQueuer's tables once (the caller holds the migration lock)."""
    queries = Queries(AsyncpgDriver(conn))
    if not await queries.schema_is_installed():
        await queries.install()


async def enqueue_validation(conn: asyncpg.Connection, recording_id: str) -> None:
    """Runs on the caller's connection, so the job commits (or not) with the recording."""
    queries = Queries(AsyncpgDriver(conn))
    await queries.enqueue(
        VALIDATE_RECORDING, msgspec.json.encode(ValidateRecording(recording_id)), priority=0
    )


DELIVER_PUSH = "deliver_push"


class DeliverPush(msgspec.Struct, frozen=True):
    """One web-push fan-out: an alert to its recipients' subscriptions, or a test
    notification (`test_id`) to one user's subscriptions."""

    alert_id: str | None = None
    test_id: str | None = None
    user_id: str | None = None


async def enqueue_push(conn: asyncpg.Connection, job: DeliverPush) -> None:
    """Runs on the caller's connection, so the job commits (or not) with the alert."""
    queries = Queries(AsyncpgDriver(conn))
    await queries.enqueue(DELIVER_PUSH, msgspec.json.encode(job), priority=10)
