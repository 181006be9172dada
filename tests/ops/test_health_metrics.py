"""/healthz, /readyz and /metrics on the real server; who may read the metrics."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.db.pool import connect
from backend.jobs import enqueue_validation
from backend.settings import Settings
from tests.conftest import TEST_PEPPER
from tests.recordings.server import ServerProcess


async def test_healthz_and_readyz(ops_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {
            "database": "ok", "object_store": "ok", "queue": "ok"}}


async def test_readyz_names_the_store_that_fails(ops_db_url: str, tmp_path: Path) -> None:
    # An S3 store whose endpoint refuses connections: the app starts, readiness says why not.
    server = ServerProcess(ops_db_url, tmp_path, env_extra={
        "DOSMOTR_OBJECT_STORE": "s3://nowhere-bucket/evidence",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            resp = await client.get("/readyz")
            assert resp.status_code == 503, resp.text
            body = resp.json()
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert body["code"] == "not_ready" and body["failed"] == ["object_store"]
            assert body["checks"]["database"] == "ok" and body["checks"]["queue"] == "ok"
            assert resp.headers["retry-after"]
            assert (await client.get("/healthz")).status_code == 200
    finally:
        server.stop()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[:line.rindex("}")])) if "{" in line else {}
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_from_loopback(ops_server: ServerProcess, ops_db_url: str,
                                     tokens: dict[str, str]) -> None:
    conn = await connect(ops_db_url)
    try:
        rec = await conn.fetchval("SELECT gen_random_uuid()::text")
        await enqueue_validation(conn, rec)
        await conn.execute("UPDATE pgqueuer SET created = now() - interval '90 seconds', "
                           "attempts = 2 WHERE entrypoint = 'validate_recording'")
        await conn.execute("INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority) "
                           "VALUES (424242, 'exception', 'deliver_push', 10)")
        await conn.execute("INSERT INTO push_deliveries (notification_id, subscription_id, status)"
                           " VALUES ('test:m1', 's1', 'sent'), ('test:m2', 's1', 'gone')")
    finally:
        await conn.close()
    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    async with httpx.AsyncClient(base_url=ops_server.url, timeout=30) as client:
        for _ in range(3):
            await client.get("/api/audit", headers=auditor)
        await client.get("/api/recordings/3f0e7a52-0000-4000-8000-000000000000", headers=auditor)
        resp = await client.get("/metrics")
        # A proxy on this machine (Caddy beside the app, not a trusted proxy) connects from
        # loopback too; what it forwards came from elsewhere and is not a loopback scrape.
        for header in ({"X-Forwarded-For": "10.1.2.3"}, {"Forwarded": "for=10.1.2.3"},
                       {"Via": "1.1 caddy"}):
            proxied = await client.get("/metrics", headers=header)
            assert proxied.status_code == 403, header
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    # Requests and latency by route template, not by id.
    assert sample(text, "dosmotr_http_requests_total", path="/api/audit", method="GET",
                  status_code="200") >= 3
    assert sample(text, "dosmotr_http_requests_total",
                  path="/api/recordings/{recording_id}", status_code="404") == 1
    # Refused by the auth middleware: counted under 401, not as a success.
    assert sample(text, "dosmotr_http_requests_total", path="/api/posts", status_code="401") >= 1
    assert sample(text, "dosmotr_http_requests_total", path="/api/posts", status_code="200") is None
    assert "3f0e7a52" not in text
    assert sample(text, "dosmotr_http_request_duration_seconds_count", path="/api/audit") >= 3
    # Queue, jobs, validation and push, read from the database.
    assert sample(text, "dosmotr_queue_jobs", kind="validate_recording", status="queued") >= 1
    assert sample(text, "dosmotr_queue_oldest_job_age_seconds", kind="validate_recording") >= 89
    assert sample(text, "dosmotr_job_retries", kind="validate_recording") >= 2
    assert sample(text, "dosmotr_job_failures", kind="deliver_push") >= 1
    assert sample(text, "dosmotr_push_deliveries", outcome="sent") == 1
    assert sample(text, "dosmotr_push_deliveries", outcome="gone") == 1
    assert "# TYPE dosmotr_validation_seconds summary" in text
    # PgQueuer's own exporter rides along.
    assert sample(text, "pgqueuer_queue_count", entrypoint="validate_recording",
                  status="queued") >= 1


async def test_metrics_need_loopback_or_the_token(db_url: str, tmp_path: Path) -> None:
    """In process the client is not loopback ('testclient'): only the bearer token opens it."""
    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_TOKEN_PEPPER":
                                  TEST_PEPPER, "DOSMOTR_METRICS_TOKEN": "scrape-me-0123"})
    app = create_app(settings, dsn=db_url)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/metrics")).status_code == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0124"})
        assert wrong.status_code == 403 and wrong.json()["code"] == "forbidden"
        session = await client.get("/metrics", headers={"Authorization": "Bearer test-token-admin"})
        assert session.status_code == 403  # a user's session token is not the metrics token
        ok = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123"})
        assert ok.status_code == 200 and "dosmotr_queue_jobs" in ok.text
    plain = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_TOKEN_PEPPER":
                               TEST_PEPPER})
    async with AsyncTestClient(app=create_app(plain, dsn=db_url),
                               base_url="http://testserver.local") as client:
        # No token configured: nobody off the machine reads the metrics, whatever they send.
        assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 403
