"""Change notices for live boards: one LISTEN connection per API process, fanned out in memory.

Every audit append at a post NOTIFYs `dosmotr_board` at commit (backend/audit/repo.py), from
whichever process made the change; each process listens once and hands notices to the streams
it serves for that post. A stream that falls behind, or a listener that lost its connection,
gets a `resync` notice: the board must be fetched again rather than trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec

from backend.audit.repo import BOARD_CHANNEL

log = logging.getLogger("dosmotr.board")

QUEUE_SIZE = 256
RESYNC: dict[str, Any] = {"resync": True}
# The server is shutting down: every stream ends (EventSource reconnects to the next server).
CLOSING: dict[str, Any] = {"closing": True}


class BoardHub:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._closed = False
        self._relistening: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    @contextlib.asynccontextmanager
    async def subscribe(self, post_code: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of this post's change notices, live once this returns (LISTEN is on)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        if self._closed:
            queue.put_nowait(CLOSING)
            yield queue
            return
        self._streams.setdefault(post_code, set()).add(queue)
        try:
            await self._ensure_listening()
            yield queue
        finally:
            streams = self._streams.get(post_code)
            if streams is not None:
                streams.discard(queue)
                if not streams:
                    del self._streams[post_code]

    async def _ensure_listening(self) -> None:
        async with self._lock:
            if self.listening or self._closed:
                return
            conn = await asyncpg.connect(self._dsn)
            conn.add_termination_listener(self._on_lost)
            await conn.add_listener(BOARD_CHANNEL, self._on_notify)
            self._conn = conn

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            log.warning("unreadable board notice %r", payload[:200])
            return
        for queue in list(self._streams.get(notice.get("post_code"), ())):
            self._offer(queue, notice)

    @staticmethod
    def _offer(queue: asyncio.Queue[dict[str, Any]], notice: dict[str, Any]) -> None:
        try:
            queue.put_nowait(notice)
        except asyncio.QueueFull:
            # The reader is far behind: drop what is queued and tell it to refetch the board.
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(RESYNC)

    def _on_lost(self, _conn: Any) -> None:
        # Notices may have been missed while the connection was down: every stream refetches,
        # and the next read (or subscriber) listens again.
        self._conn = None
        for streams in self._streams.values():
            for queue in list(streams):
                self._offer(queue, RESYNC)
        if self._streams and not self._closed and (
            self._relistening is None or self._relistening.done()
        ):
            self._relistening = asyncio.get_running_loop().create_task(self._relisten())

    async def _relisten(self, attempts: int = 30) -> None:
        for attempt in range(attempts):
            if self._closed or not self._streams or self.listening:
                return
            try:
                await self._ensure_listening()
                return
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(min(30.0, 0.5 * 2 ** attempt))
        log.error("board listener could not reconnect")

    async def close(self) -> None:
        """Stop listening and end every open stream (called when the server begins to shut
        down, so that open streams do not hold it up)."""
        self._closed = True
        for streams in self._streams.values():
            for queue in list(streams):
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSING)
        if self._relistening is not None:
            self._relistening.cancel()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()
