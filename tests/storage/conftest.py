"""Fixtures: every store test runs on a directory and on S3 spoken over HTTP to moto."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from backend.storage import LocalObjectStore, ObjectStore, open_store
from backend.storage.s3 import MIN_PART_SIZE, S3ObjectStore
from tests.conftest import BUCKET, DUMMY_AWS  # noqa: F401  (fixtures live there)

TEST_PART_SIZE = MIN_PART_SIZE  # the smallest S3 allows keeps the test volumes small


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
