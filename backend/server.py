"""The HTTP server process: uvicorn, told to end the app's long-lived streams first.

uvicorn's graceful shutdown waits for every open response before it runs the app's lifespan
shutdown, so a board stream (server-sent events, up to an hour long) would hold the process for
its whole life. `GracefulServer` ends those streams as soon as shutdown begins; the lifespan
then closes the pool as usual. `timeout_graceful_shutdown` is only a backstop for other slow
responses (a large download), which are cut after it.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("dosmotr")

GRACEFUL_SHUTDOWN_S = 5


class StopRequested(BaseException):
    """SIGTERM or SIGINT arrived: unwind, running every `finally` (BaseException, like
    KeyboardInterrupt, so that no `except Exception` swallows it)."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise StopRequested in the main thread. uvicorn installs its own
    handlers while it serves and re-raises the signal once it has shut down, which lands here;
    without this, SIGTERM's default action would end the process before any cleanup ran."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise StopRequested(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Cleanup (stopping the worker and the database) must not be cut short by a second
    signal; SIGKILL still ends it."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_shutdown = on_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._on_shutdown is not None:
            self._on_shutdown()  # e.g. tell the worker to stop at the same time
        await end_streams(self.config.app)
        await super().shutdown(sockets)


async def end_streams(app: Any) -> None:
    hub = getattr(getattr(app, "state", None), "board_hub", None)
    if hub is not None:
        await hub.close()


def serve(app: Any, host: str, port: int, on_shutdown: Callable[[], None] | None = None) -> None:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # Forwarded headers are read by backend/ops/forwarded.py (DOSMOTR_TRUSTED_PROXIES) alone;
        # uvicorn's own rule would trust 127.0.0.1 (or FORWARDED_ALLOW_IPS) besides.
        proxy_headers=False,
        # uvicorn's own lines go through the handlers configure_logging() set up (JSON or text,
        # with the request id), not through a second, plain-text configuration of its own
        log_config=None,
    )
    GracefulServer(config, on_shutdown).run()
