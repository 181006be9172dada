"""Shared fixtures: one embedded PostgreSQL per run, a fresh database per test.

Each test gets `CREATE DATABASE ... TEMPLATE` of a migrated, seeded template (about 0.1 s),
so tests can commit, run concurrent transactions and restart the app like production does.
The template also holds a live session for every demo user, so logging in costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import boto3
import pytest
import pytest_asyncio
from moto.server import ThreadedMotoServer

from backend.auth.tokens import token_digest
from backend.db.migrate import migrate
from backend.db.pool import connect
from backend.seed import seed_base
from backend.settings import Settings

logging.getLogger("pgserver").setLevel(logging.WARNING)

TEST_PEPPER = "test-pepper-not-secret"
TEMPLATE_DB = "dosmotr_template"
PASSWORD = "demo-only"


class EmbeddedServer:
    def __init__(self, root: Path) -> None:
        import pgserver

        self.root = root
        self.server = pgserver.get_server(root, cleanup_mode="stop")

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres:@/{database}?host={self.root}"

    @contextlib.asynccontextmanager
    async def clone_of_template(self, name: str) -> AsyncIterator[str]:
        """A fresh database copied from the migrated, seeded template; dropped afterwards."""
        admin = await asyncpg.connect(self.dsn("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
        finally:
            await admin.close()
        try:
            yield self.dsn(name)
        finally:
            admin = await asyncpg.connect(self.dsn("postgres"))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


@pytest.fixture(scope="session")
def pg() -> Iterator[EmbeddedServer]:
    # pgserver runs the server as its own OS user when we are root: the folder must be
    # reachable by it, which pytest's 0700 tmp dirs are not.
    root = Path(tempfile.mkdtemp(prefix="dosmotr-pg-"))
    root.chmod(0o755)
    server = EmbeddedServer(root / "data")
    yield server
    server.server.cleanup()
    shutil.rmtree(root, ignore_errors=True)


async def _build_template(pg: EmbeddedServer) -> dict[str, str]:
    admin = await asyncpg.connect(pg.dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    conn = await connect(pg.dsn(TEMPLATE_DB))
    tokens: dict[str, str] = {}
    try:
        await migrate(conn)
        users = await seed_base(conn, PASSWORD)
        expires = datetime.now(UTC) + timedelta(days=2)
        for user in users:
            token = f"test-token-{user['login']}"
            await conn.execute(
                "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
                user["id"], token_digest(TEST_PEPPER, token), expires,
            )
            tokens[user["login"]] = token
    finally:
        await conn.close()
    return tokens


@pytest.fixture(scope="session")
def template(pg: EmbeddedServer) -> dict[str, str]:
    """Builds the template database; returns login -> bearer token of the demo users."""
    return asyncio.run(_build_template(pg))


_db_counter = itertools.count(1)


@pytest_asyncio.fixture
async def db_url(pg: EmbeddedServer, template: dict[str, str]) -> AsyncIterator[str]:
    async with pg.clone_of_template(f"t_{os.getpid()}_{next(_db_counter)}") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "DOSMOTR_DATA_DIR": str(tmp_path / "data"),
            "DOSMOTR_TOKEN_PEPPER": TEST_PEPPER,
            "DOSMOTR_PUSH_HOSTS": "127.0.0.1",
        }
    )


@pytest_asyncio.fixture
async def db(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(db_url)
    yield conn
    await conn.close()


@pytest_asyncio.fixture
async def app(settings: Settings, db_url: str):  # type: ignore[no-untyped-def]
    from backend.app import create_app

    return create_app(settings, dsn=db_url)


@pytest_asyncio.fixture
async def client(app):  # type: ignore[no-untyped-def]
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
def tokens(template: dict[str, str]) -> dict[str, str]:
    return template


@pytest.fixture
def auth(tokens: dict[str, str]) -> Callable[[str], Awaitable[dict[str, str]]]:
    async def headers(login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[login]}"}

    return headers


# --- S3 over HTTP: moto's server on a free local port, shared by the storage and intake tests

BUCKET = "dosmotr-evidence"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port with an object-lock bucket, for the session.

    Credentials go to this one client as arguments: nothing session-wide touches the
    environment that other test packages see.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=DUMMY_AWS["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point boto3 at moto the way production configures it: AWS_* variables only."""
    empty = tmp_path / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in DUMMY_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint
