"""`dosmotr worker` refuses to start without the models and OCR its checks need, and says
which are missing (a worker that started would only write `unavailable` reports)."""

from __future__ import annotations

import subprocess

from tests.process.procs import DOSMOTR, environment


def test_worker_without_models_refuses_to_start_and_names_them(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "no-models"
    empty.mkdir()
    env = environment(tmp_path / "var", DATABASE_URL=db_url, DOSMOTR_MODELS_DIR=str(empty))
    done = subprocess.run([str(DOSMOTR), "worker", "--drain"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "the worker will not start" in done.stderr
    assert "bay occupancy model" in done.stderr and "cargo counter model" in done.stderr
    assert "no model 'bay_occupancy'" in done.stderr
