"""GET /healthz (the process answers; touches nothing) and GET /readyz (the database, the
object store and the queue answer; else 503 naming what failed)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.response import Response
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries

from backend.deps import pooled
from backend.errors import PROBLEM_BASE, PROBLEM_JSON

log = logging.getLogger("dosmotr.ops")

CHECK_TIMEOUT_S = 3.0
PROBE_KEY = "ops/readiness-probe"  # never written: a stat of a missing key proves the store answers


class Health(msgspec.Struct, frozen=True):
    status: str


class Readiness(msgspec.Struct, frozen=True):
    status: str  # ready
    checks: dict[str, str]  # name -> "ok"


async def _database(request: Request) -> None:
    async with pooled(request.app.state.pool) as conn:
        await conn.fetchval("SELECT 1")


async def _queue(request: Request) -> None:
    async with pooled(request.app.state.pool) as conn:
        if not await Queries(AsyncpgDriver(conn)).schema_is_installed():
            raise RuntimeError("PgQueuer's tables are not installed")


async def _object_store(request: Request) -> None:
    await request.app.state.store.stat(PROBE_KEY)


CHECKS = {"database": _database, "object_store": _object_store, "queue": _queue}


async def _run(name: str, request: Request) -> str:
    try:
        await asyncio.wait_for(CHECKS[name](request), CHECK_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, named
        log.warning("readiness: %s failed: %r", name, exc)
        return f"failed: {type(exc).__name__}: {exc}"[:300]
    return "ok"


class HealthController(Controller):
    path = "/"
    opt = {"exclude_from_auth": True}
    tags = ["operations"]

    @get("/healthz")
    async def healthz(self) -> Health:
        """The process is alive. Touches neither the database nor the store."""
        return Health(status="ok")

    @get("/readyz")
    async def readyz(self, request: Request) -> Response[Any]:
        """The database, the object store and the queue answer: 200; else 503 `not_ready`
        naming each failed check."""
        names = list(CHECKS)
        results = dict(zip(names, await asyncio.gather(*(_run(n, request) for n in names)),
                           strict=True))
        failed = [name for name, result in results.items() if result != "ok"]
        if not failed:
            return Response(Readiness(status="ready", checks=results))
        body = {
            "type": PROBLEM_BASE + "not_ready", "title": "The service is not ready",
            "status": 503, "detail": "failed: " + ", ".join(failed), "code": "not_ready",
            "instance": request.url.path, "failed": failed, "checks": results,
        }
        return Response(body, status_code=503, media_type=PROBLEM_JSON,
                        headers={"Retry-After": "5"})
