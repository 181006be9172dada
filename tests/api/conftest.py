"""One database and one app per test module for the API sweeps.

The sweeps send hundreds of requests; a fresh database and app per case (about a second on
this machine) would cost minutes. Cases that change state make their own objects (world.py).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from backend.db.pool import connect
from backend.settings import Settings
from tests.api.world import PEPPER, World, build_world
from tests.conftest import TEST_PEPPER, EmbeddedServer

assert PEPPER == TEST_PEPPER

_modules = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def module_db_url(pg: EmbeddedServer, template: dict[str, str]) -> AsyncIterator[str]:
    async with pg.clone_of_template(f"m_{os.getpid()}_{next(_modules)}") as url:
        yield url


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data: Path = tmp_path_factory.mktemp("api-data")
    return Settings.from_env({
        "DOSMOTR_DATA_DIR": str(data),
        "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER,
        "DOSMOTR_PUSH_HOSTS": "127.0.0.1",
    })


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(
    module_settings: Settings, module_db_url: str, template: dict[str, str]
) -> AsyncIterator[World]:
    from backend.app import create_app

    app = create_app(module_settings, dsn=module_db_url)
    conn = await connect(module_db_url)
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            yield await build_world(client, conn, template)
    finally:
        await conn.close()
