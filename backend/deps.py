"""Request-scoped dependencies: a pooled connection, the object store."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TypeAlias

import asyncpg
from litestar.datastructures import State

Conn: TypeAlias = asyncpg.Connection


async def provide_conn(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    async with state.pool.acquire() as conn:
        yield conn
