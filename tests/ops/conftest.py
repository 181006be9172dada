"""The real server (`dosmotr serve` under uvicorn) on its own database, once per module."""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import EmbeddedServer
from tests.recordings.server import ServerProcess

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

_modules = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ops_db_url(pg: EmbeddedServer, template: dict[str, str]) -> AsyncIterator[str]:
    async with pg.clone_of_template(f"ops_{os.getpid()}_{next(_modules)}") as url:
        yield url


@pytest.fixture(scope="module")
def ops_server(ops_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data: Path = tmp_path_factory.mktemp("ops-data")
    proc = ServerProcess(ops_db_url, data).start()
    yield proc
    proc.stop()
