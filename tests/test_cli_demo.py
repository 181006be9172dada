"""The embedded path as `make run` uses it: seed once, keep data across restarts, verify."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DOSMOTR_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_seed_once_restart_keeps_data_and_chain_verifies() -> None:
    root = Path(tempfile.mkdtemp(prefix="dosmotr-cli-"))
    root.chmod(0o755)
    data = root / "var"
    first = _cli(data, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "demo data seeded" in first.stderr
    second = _cli(data, "seed-demo")  # a restart on the same data dir
    assert second.returncode == 0, second.stderr
    assert "already holds data" in second.stderr
    verify = _cli(data, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "audit chain ok" in verify.stdout
    events = int(verify.stdout.split(":")[1].split()[0])
    assert events > 20


def test_production_refuses_generated_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSMOTR_")}
    env.update({"DOSMOTR_ENV": "production", "DOSMOTR_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://x@127.0.0.1:1/x"})
    out = subprocess.run([sys.executable, "-m", "backend.cli", "serve"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "production mode needs DOSMOTR_TOKEN_PEPPER" in out.stderr
    seed = subprocess.run([sys.executable, "-m", "backend.cli", "seed-demo"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert seed.returncode == 2 and "refusing to seed" in seed.stderr
