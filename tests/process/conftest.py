"""Fixtures for tests on real `dosmotr` processes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def root() -> Iterator[Path]:
    """A working folder the embedded PostgreSQL's OS user can reach (pytest's are 0700)."""
    path = Path(tempfile.mkdtemp(prefix="dosmotr-proc-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
