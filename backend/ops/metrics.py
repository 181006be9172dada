"""GET /metrics: Prometheus text. Requests and latency by route template come from Litestar's
Prometheus middleware; queue, job, validation and push facts are read from the database at
scrape time, because the worker that makes them runs in another process.

Served to loopback clients, or to `Authorization: Bearer $DOSMOTR_METRICS_TOKEN`.
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta

import asyncpg
from litestar import Request, get
from litestar._asgi.utils import wrap_in_exception_handler
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.response import Response
from litestar.types import ASGIApp
from pgqueuer.db import AsyncpgDriver
from pgqueuer.metrics.prometheus import collect_metrics
from pgqueuer.queries import Queries
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from backend.deps import pooled
from backend.errors import Forbidden


class _CountedMiddleware(PrometheusMiddleware):
    """Litestar's middleware, but an exception raised further in (the auth middleware's 401,
    a guard's 403) is turned into its problem response *inside* it, so the request is counted
    under that status; otherwise the outer handler answers it and it is counted as a 200."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(wrap_in_exception_handler(app), config)


PROMETHEUS = PrometheusConfig(
    middleware_class=_CountedMiddleware,
    app_name="dosmotr",
    prefix="dosmotr_http",
    group_path=True,  # label by route template (/api/recordings/{recording_id}), not by id
    exclude_opt_key="exclude_from_metrics",
)


_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "via")


def metrics_access(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    client = connection.client.host if connection.client else ""
    # A proxy on the same machine connects from loopback too: a request it forwarded (it says
    # so in its headers) came from elsewhere and is not a loopback scrape.
    forwarded = any(h in connection.headers for h in _PROXY_HEADERS)
    try:
        if ipaddress.ip_address(client).is_loopback and not forwarded:
            return
    except ValueError:
        pass
    token = connection.app.state.settings.metrics_token
    scheme, _, offered = connection.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip(), token):
        return
    raise Forbidden("metrics are served to loopback clients or with the metrics bearer token")


QUEUE = """
SELECT entrypoint, status::text AS status, count(*) AS jobs,
       coalesce(extract(epoch FROM now() - min(created)), 0) AS oldest_s,
       coalesce(sum(attempts), 0) AS retries
FROM pgqueuer GROUP BY entrypoint, status
"""

FAILURES = """
SELECT entrypoint, sum(count) AS failures FROM (
    SELECT entrypoint, count FROM pgqueuer_statistics WHERE status IN ('exception', 'failed')
    UNION ALL
    SELECT entrypoint, 1 FROM pgqueuer_log
    WHERE status IN ('exception', 'failed') AND NOT aggregated
) f GROUP BY entrypoint
"""

VALIDATION = """
SELECT v.verdict, count(*) AS n,
       coalesce(sum(extract(epoch FROM v.created_at - r.created_at)), 0) AS seconds
FROM validation_reports v JOIN recordings r ON r.id = v.recording_id
GROUP BY v.verdict
"""

PUSH = "SELECT status, count(*) AS n FROM push_deliveries GROUP BY status"


class _Snapshot(Collector):
    """The database's facts, as read for one scrape."""

    def __init__(self, families: list[GaugeMetricFamily | SummaryMetricFamily]) -> None:
        self.families = families

    def collect(self):  # type: ignore[no-untyped-def]
        yield from self.families


async def database_families(conn: asyncpg.Connection) -> list[GaugeMetricFamily | SummaryMetricFamily]:
    depth = GaugeMetricFamily("dosmotr_queue_jobs", "Jobs in the queue by kind and status",
                              labels=["kind", "status"])
    age = GaugeMetricFamily("dosmotr_queue_oldest_job_age_seconds",
                            "Age of the oldest job waiting, by kind", labels=["kind"])
    retries = GaugeMetricFamily("dosmotr_job_retries",
                                "Retries so far of the jobs still in the queue", labels=["kind"])
    failures = GaugeMetricFamily("dosmotr_job_failures",
                                 "Job runs that failed (PgQueuer's log), by kind", labels=["kind"])
    validation = SummaryMetricFamily(
        "dosmotr_validation_seconds",
        "From a recording's registration to its validation report, by verdict",
        labels=["verdict"])
    push = GaugeMetricFamily("dosmotr_push_deliveries", "Web push deliveries by outcome",
                             labels=["outcome"])
    oldest: dict[str, float] = {}
    retried: dict[str, float] = {}
    for row in await conn.fetch(QUEUE):
        depth.add_metric([row["entrypoint"], row["status"]], row["jobs"])
        kind = row["entrypoint"]
        retried[kind] = retried.get(kind, 0) + float(row["retries"])
        if row["status"] == "queued":
            oldest[kind] = max(oldest.get(kind, 0.0), float(row["oldest_s"]))
    for kind, seconds in oldest.items():
        age.add_metric([kind], seconds)
    for kind, count in retried.items():
        retries.add_metric([kind], count)
    for row in await conn.fetch(FAILURES):
        failures.add_metric([row["entrypoint"]], float(row["failures"]))
    for row in await conn.fetch(VALIDATION):
        validation.add_metric([row["verdict"]], row["n"], float(row["seconds"]))
    for row in await conn.fetch(PUSH):
        push.add_metric([row["status"]], row["n"])
    return [depth, age, retries, failures, validation, push]


class MetricsController(PrometheusController):
    path = "/metrics"
    guards = [metrics_access]
    opt = {"exclude_from_auth": True, "exclude_from_metrics": True}
    include_in_schema = False

    @get()
    async def get(self, request: Request) -> Response:  # type: ignore[override]
        async with pooled(request.app.state.pool) as conn:
            families = await database_families(conn)
            queue_text = await collect_metrics(Queries(AsyncpgDriver(conn)),
                                               last=timedelta(minutes=5))
        snapshot = CollectorRegistry(auto_describe=False)
        snapshot.register(_Snapshot(families))
        body = generate_latest(REGISTRY) + generate_latest(snapshot) + queue_text.encode() + b"\n"
        return Response(body, status_code=200, media_type=CONTENT_TYPE_LATEST)
