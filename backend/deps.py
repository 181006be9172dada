"""Request-scoped dependencies: a pooled connection, the object store."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeAlias

import asyncpg
from litestar.datastructures import State

from backend.errors import DB_RETRY_AFTER_S, DatabaseUnavailable

Conn: TypeAlias = asyncpg.Connection

# A request waits this long for a pooled connection before it is told to come back later.
ACQUIRE_TIMEOUT_S = 10.0

# What connecting (or reconnecting a pooled connection) raises while PostgreSQL is down or
# restarting: refused or missing socket (OSError), a connect that hangs (TimeoutError), the
# server's own refusal while it starts or stops (asyncpg's connection and 57P errors).
CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
)


@contextlib.asynccontextmanager
async def pooled(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """`pool.acquire()`, with a failure to connect told as 503 `database_unavailable`."""
    try:
        conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT_S)
    except CONNECT_ERRORS as exc:
        raise DatabaseUnavailable(
            f"the database cannot be reached ({type(exc).__name__}); try again shortly",
            retry_after=DB_RETRY_AFTER_S,
        ) from exc
    try:
        yield conn
    finally:
        await pool.release(conn)


async def provide_conn(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    async with pooled(state.pool) as conn:
        yield conn
