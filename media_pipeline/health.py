"""The worker's health, on a small HTTP port (`DOSMOTR_WORKER_HEALTH_PORT`) for container
health checks and orchestrators:

- `GET /healthz`: 200 while the process is up.
- `GET /readyz`: 200 when the database answers, the queue manager is running and the models
  and the OCR are loaded; else 503 with each check and what failed.

`dosmotr worker --check` asks the running worker's `/readyz` (for a Dockerfile HEALTHCHECK
without curl).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import urllib.error
import urllib.request
from http import HTTPStatus
from typing import Any

import asyncpg

from media_pipeline.context import Models

log = logging.getLogger("dosmotr.worker")

DB_TIMEOUT_S = 2.0
MODEL_ROLES = ("occupancy", "counter", "ocr")


@dataclasses.dataclass
class WorkerHealth:
    dsn: str | None = None
    models: Models | None = None
    queue_running: bool = False

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, Any] = {"database": await self._database()}
        checks["queue"] = {"ok": self.queue_running} if self.queue_running else {
            "ok": False, "detail": "the queue manager is not running (starting or reconnecting)"}
        for role in MODEL_ROLES:
            loaded = self.models is not None and getattr(self.models, role) is not None
            why = (self.models.missing.get(role) if self.models is not None else None) or "not loaded"
            checks[role] = {"ok": True} if loaded else {"ok": False, "detail": why}
        return all(c["ok"] for c in checks.values()), checks

    async def _database(self) -> dict[str, Any]:
        if self.dsn is None:
            return {"ok": False, "detail": "not configured yet"}
        try:
            conn = await asyncpg.connect(self.dsn, timeout=DB_TIMEOUT_S)
            try:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), DB_TIMEOUT_S)
            finally:
                conn.terminate()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
        return {"ok": True}


async def _answer(health: WorkerHealth, reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    try:
        request = await asyncio.wait_for(reader.readline(), 5)
        while (line := await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
            del line  # headers are not needed
        method, _, rest = request.decode("latin-1").partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        body: dict[str, Any]
        if method not in ("GET", "HEAD"):
            status, body = HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method not allowed"}
        elif path == "/healthz":
            status, body = HTTPStatus.OK, {"status": "ok"}
        elif path == "/readyz":
            ready, checks = await health.readiness()
            status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
            body = {"status": "ready" if ready else "not ready", "checks": checks}
        else:
            status, body = HTTPStatus.NOT_FOUND, {"error": "not found"}
        payload = json.dumps(body).encode()
        head = (f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
        writer.write(head + (b"" if method == "HEAD" else payload))
        await writer.drain()
    except (OSError, TimeoutError, UnicodeDecodeError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def serve_health(health: WorkerHealth, host: str, port: int) -> asyncio.Server:
    server = await asyncio.start_server(lambda r, w: _answer(health, r, w), host, port)
    log.info("worker health on http://%s:%d/readyz", host, port)
    return server


def check(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> tuple[bool, str]:
    """Ask a running worker's `/readyz`: (ready, body)."""
    url = f"http://{host}:{port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, response.read().decode()
    except urllib.error.HTTPError as exc:
        return False, exc.read().decode()
    except OSError as exc:
        return False, f"no worker answering on {url}: {exc}"
