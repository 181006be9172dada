"""Fixtures: every store test runs on a directory and on S3 spoken over HTTP to moto."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from backend.storage import LocalObjectStore, ObjectStore, open_store
from backend.storage.s3 import MIN_PART_SIZE, S3ObjectStore

BUCKET = "dosmotr-evidence"
TEST_PART_SIZE = MIN_PART_SIZE  # the smallest S3 allows keeps the test volumes small
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


@pytest.fixture
def s3_client(s3_env: str) -> object:
    return boto3.client("s3")


StoreOpener = Callable[[], ObjectStore]


@pytest.fixture(params=["local", "s3"])
def store_opener(request: pytest.FixtureRequest, tmp_path: Path) -> StoreOpener:
    """Builds store instances on one directory or bucket prefix; a second call is a restart."""
    data_dir = tmp_path / "data"
    if request.param == "local":
        return lambda: open_store(str(data_dir / "objects"), data_dir)
    request.getfixturevalue("s3_env")
    spec = f"s3://{BUCKET}/t-{uuid.uuid4().hex[:12]}"
    return lambda: open_store(spec, data_dir, part_size=TEST_PART_SIZE)


@pytest.fixture
def store(store_opener: StoreOpener) -> ObjectStore:
    opened = store_opener()
    assert isinstance(opened, LocalObjectStore | S3ObjectStore)
    return opened


@pytest.fixture
def s3_store(s3_env: str, tmp_path: Path) -> S3ObjectStore:
    spec = f"s3://{BUCKET}/s-{uuid.uuid4().hex[:12]}"
    opened = open_store(spec, tmp_path / "data", part_size=TEST_PART_SIZE)
    assert isinstance(opened, S3ObjectStore)
    return opened
