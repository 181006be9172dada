"""Push tests: a local push service, and the worker run in drain mode with the app's settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from backend.settings import Settings
from media_pipeline.worker import run_worker
from tests.conftest import TEST_PEPPER
from tests.push.standin import PushService


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def drain(app, db_url: str, settings: Settings, tmp_path: Path,  # type: ignore[no-untyped-def]
          monkeypatch: pytest.MonkeyPatch) -> Callable[[], Awaitable[None]]:
    """Run queued jobs until none is left. The worker reads its settings from the environment,
    as a worker process started beside the API does: the same data dir (VAPID key) and hosts."""
    monkeypatch.setenv("DOSMOTR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DOSMOTR_TOKEN_PEPPER", TEST_PEPPER)
    monkeypatch.setenv("DOSMOTR_PUSH_HOSTS", ",".join(settings.push_hosts))
    monkeypatch.delenv("DOSMOTR_VAPID_PRIVATE_KEY", raising=False)

    async def run() -> None:
        await asyncio.wait_for(run_worker(db_url, app.state.store, None, tmp_path / "work",
                                          concurrency=1, drain=True), 120)

    return run
