"""Logs: JSON or text lines with the request id of the request they were logged in; the 500
problem carries the same id; fontTools stays quiet."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.ops.logs import configure_logging
from backend.settings import Settings, SettingsError
from tests.conftest import TEST_PEPPER
from tests.recordings.server import ServerProcess


async def test_json_logs_carry_the_request_id(ops_db_url: str, tmp_path: Path,
                                              tokens: dict[str, str]) -> None:
    server = ServerProcess(ops_db_url, tmp_path, env_extra={"DOSMOTR_LOG_FORMAT": "json"})
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            resp = await client.get("/api/audit", headers={
                "X-Request-ID": "log-trace-77",
                "Authorization": f"Bearer {tokens['auditor']}"})
            assert resp.headers["x-request-id"] == "log-trace-77"
            made = await client.get("/api/posts")
            assert len(made.headers["x-request-id"]) == 32
    finally:
        server.stop()
    lines = (tmp_path / f"server-{server.port}.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records, lines[:20]
    for line in lines:
        # Only the start-up banner (print) is not a log record.
        if not line.startswith("{"):
            assert " INFO " not in line and " WARNING " not in line and " ERROR " not in line, line
    for record in records:
        assert {"ts", "level", "logger", "message", "request_id"} <= set(record), record
    ours = [r for r in records if r["request_id"] == "log-trace-77"]
    assert any("/api/audit" in r["message"] for r in ours), records[-10:]
    made_id = made.headers["x-request-id"]
    assert any(r["request_id"] == made_id and "/api/posts" in r["message"] for r in records)
    assert not [r for r in records if r["logger"].startswith("fontTools")]


async def test_the_500_problem_and_its_log_line_share_the_id(db_url: str, tmp_path: Path) -> None:
    @get("/api/test-failure", opt={"exclude_from_auth": True})
    async def failing() -> None:
        raise RuntimeError("a bug")

    settings = Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path),
                                  "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER})
    app = create_app(settings, dsn=db_url)
    app.register(failing)
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers), root.level
    configure_logging(Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path),
                                         "DOSMOTR_LOG_FORMAT": "json"}), stream=stream)
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            resp = await client.get("/api/test-failure", headers={"X-Request-ID": "boom-1"})
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])
    assert resp.status_code == 500
    body = resp.json()
    assert body["code"] == "internal_error" and body["request_id"] == "boom-1"
    assert "a bug" not in resp.text
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    failure = [r for r in records if r["logger"] == "dosmotr.errors"]
    assert failure and failure[0]["request_id"] == "boom-1" and "a bug" in failure[0]["exc"]


def test_log_settings(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), "DOSMOTR_LOG_FORMAT": "xml"})
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        configure_logging(Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path)}), stream=stream)
        logging.getLogger("fontTools.subset").info("glyph chatter")
        logging.getLogger("dosmotr.test").info("a line of ours")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])
    text = stream.getvalue()
    assert "glyph chatter" not in text
    assert "INFO dosmotr.test [-] a line of ours" in text
