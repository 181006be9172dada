"""Enqueueing jobs (names and payloads: `contract.jobs`). Jobs live in PostgreSQL (PgQueuer),
so enqueueing joins the caller's transaction."""

from __future__ import annotations

import asyncpg
import msgspec
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries

from contract.jobs import DELIVER_PUSH, VALIDATE_RECORDING, DeliverPush, ValidateRecording

__all__ = [
    "DELIVER_PUSH",
    "VALIDATE_RECORDING",
    "DeliverPush",
    "ValidateRecording",
    "enqueue_push",
    "enqueue_validation",
    "install_queue",
]


async def install_queue(conn: asyncpg.Connection) -> None:
    """Create PgQueuer's tables once (the caller holds the migration lock)."""
    queries = Queries(AsyncpgDriver(conn))
    if not await queries.schema_is_installed():
        await queries.install()


async def enqueue_validation(
    conn: asyncpg.Connection, recording_id: str, version: int = 1, reason: str | None = None,
    requested_by: str | None = None,
) -> None:
    """Runs on the caller's connection, so the job commits (or not) with the recording."""
    job = ValidateRecording(recording_id, version, reason, requested_by)
    await Queries(AsyncpgDriver(conn)).enqueue(
        VALIDATE_RECORDING, msgspec.json.encode(job), priority=0
    )


async def enqueue_push(conn: asyncpg.Connection, job: DeliverPush) -> None:
    """Runs on the caller's connection, so the job commits (or not) with the alert."""
    queries = Queries(AsyncpgDriver(conn))
    await queries.enqueue(DELIVER_PUSH, msgspec.json.encode(job), priority=10)
