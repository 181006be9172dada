"""The wheel is a working install: PWA, models and OCR ship with it.

Builds the wheel from a copy of the source tree, installs it into a fresh venv outside the
tree, and runs the installed `dosmotr serve` and the installed worker's model loading from
another directory. The fresh venv borrows the project venv's third-party packages through a
`.pth` line (no network here), but not the editable install: `backend` must import from the
fresh venv.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "backend", "media_pipeline", "contract",
           "pwa", "models")
PWA_FILES = ("index.html", "sw.js", "manifest.webmanifest", "i18n/ru.json", "i18n/kk.json",
             "i18n/en.json", "js/app.js", "css/app.css")


class Install:
    def __init__(self, root: Path, venv: Path) -> None:
        self.root = root
        self.venv = venv
        self.python = venv / "bin" / "python"

    def env(self, **extra: str) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(extra)
        return env

    def run_python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.python), "-c", code], cwd=self.root, env=self.env(),
                              capture_output=True, text=True, timeout=240)


def _build_wheel(work: Path) -> Path:
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(work / "dist"), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = (work / "dist").glob("dosmotr-*.whl")
    return wheel


@pytest.fixture(scope="module")
def install() -> Iterator[Install]:
    root = Path(tempfile.mkdtemp(prefix="dosmotr-wheel-"))
    root.chmod(0o755)  # pgserver (as root) runs PostgreSQL as its own user under this folder
    try:
        wheel = _build_wheel(root)
        venv = root / "venv"
        subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)],  # type: ignore[attr-defined]
                       check=True, timeout=120)
        out = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
             "--quiet", "--no-deps", "--no-index", str(wheel)],
            capture_output=True, text=True, timeout=300,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        site = Path(subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True).stdout.strip())
        # Third-party packages only: a plain path entry, so the project venv's .pth files (the
        # editable install's finder among them) are not processed.
        (site / "zz_project_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
        yield Install(root, venv)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_installed_package_is_not_the_source_tree(install: Install) -> None:
    out = install.run_python(
        "import json, backend, media_pipeline, contract\n"
        "from backend.settings import Settings\n"
        "s = Settings.from_env({})\n"
        "print(json.dumps({'backend': backend.__file__, 'media': media_pipeline.__file__,"
        " 'contract': contract.__file__, 'pwa': str(s.pwa_dir), 'models': str(s.models_dir)}))"
    )
    assert out.returncode == 0, out.stderr
    paths = json.loads(out.stdout)
    for what, path in paths.items():
        assert Path(path).resolve().is_relative_to(install.venv), (what, path)
        assert not Path(path).resolve().is_relative_to(ROOT), (what, path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_installed_serve_serves_the_pwa(install: Install) -> None:
    port = _free_port()
    cwd = install.root / "elsewhere"
    cwd.mkdir()
    data = install.root / "data"
    log = (install.root / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(install.venv / "bin" / "dosmotr"), "serve"], cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
        env=install.env(DOSMOTR_DATA_DIR=str(data), DOSMOTR_PORT=str(port),
                        DOSMOTR_TOKEN_PEPPER="wheel-test-pepper"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _get(base + "/")
                break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, (install.root / "serve.log").read_text()
        assert status == 200
        for name in PWA_FILES:
            status, body = _get(f"{base}/{name}")
            assert status == 200, name
            assert body == (ROOT / "pwa" / name).read_bytes(), name
        for probe in ("/healthz", "/readyz"):  # what the image's and compose's health checks ask
            status, body = _get(base + probe)
            assert status == 200, (probe, body)
        status, body = _get(base + "/schema/openapi.json")
        assert status == 200 and json.loads(body)["info"]["title"] == "Dosmotr"
        assert _get(base + "/make_icons.py")[0] == 404  # development files stay out of the wheel
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        _stop_leftover_postgres(data / "pg")


def _stop_leftover_postgres(pgdata: Path) -> None:
    """Never leave a PostgreSQL behind if `serve` died without stopping its own."""
    if not (pgdata / "postmaster.pid").exists():
        return
    import pgserver

    pgserver.get_server(pgdata, cleanup_mode="stop").cleanup()


WORKER_CHECK = """
import json
import numpy as np
from backend.settings import Settings
from media_pipeline.checks.identity import RapidOcrReader
from media_pipeline.validate import models_from_registry
from media_pipeline.vision.registry import ModelRegistry

settings = Settings.from_env({})
registry = ModelRegistry(settings.models_dir, threads=1)
loaded = {}
for name in registry.names():
    model = registry.get(name)  # sha256-checked against its manifest, then warmed up
    loaded[name] = model.sha256
# what `dosmotr worker` loads at start (a fresh registry: it reports what it loaded)
models = models_from_registry(ModelRegistry(settings.models_dir, threads=1))
ocr = RapidOcrReader()
ocr.read(np.full((48, 160, 3), 255, np.uint8))
print(json.dumps({"dir": str(settings.models_dir), "loaded": loaded,
                  "worker": sorted(k for k, v in models.refs.items() if v),
                  "occupancy": models.occupancy is not None, "counter": models.counter is not None,
                  "ocr_refs": [r[0] for r in ocr.model_refs()]}))
"""


def test_installed_worker_loads_every_model_and_the_ocr(install: Install) -> None:
    out = install.run_python(WORKER_CHECK)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert Path(got["dir"]).is_relative_to(install.venv)
    shipped = {p.parent.name: json.loads(p.read_text())["sha256"]
               for p in (ROOT / "models").glob("*/manifest.json")}
    assert shipped and got["loaded"] == shipped
    for notice in (ROOT / "models").glob("*/NOTICE*"):  # licence notices travel with weights
        installed = Path(got["dir"]) / notice.parent.name / notice.name
        assert installed.read_bytes() == notice.read_bytes()
    assert got["occupancy"] and got["counter"]
    assert {"occupancy", "counter", "ocr"} <= set(got["worker"])
    assert any("rec" in name for name in got["ocr_refs"]) and any("det" in name for name in got["ocr_refs"])


def test_installed_worker_process_becomes_ready(install: Install) -> None:
    """The installed `dosmotr worker` itself: its /readyz (database, queue, models, OCR) says
    ready, asked the way compose's health check asks (`dosmotr worker --check`)."""
    data = install.root / "worker-data"
    dosmotr = str(install.venv / "bin" / "dosmotr")
    env = install.env(DOSMOTR_DATA_DIR=str(data), DOSMOTR_WORKER_HEALTH_PORT=str(_free_port()))
    cwd = install.root / "elsewhere-worker"
    cwd.mkdir()
    migrated = subprocess.run([dosmotr, "migrate"], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=240)
    assert migrated.returncode == 0, migrated.stderr
    log = (install.root / "worker.log").open("w")
    proc = subprocess.Popen([dosmotr, "worker"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        check = None
        while time.monotonic() < deadline and proc.poll() is None:
            check = subprocess.run([dosmotr, "worker", "--check"], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=60)
            if check.returncode == 0:
                break
            time.sleep(1)
        assert proc.poll() is None, (install.root / "worker.log").read_text()
        assert check is not None and check.returncode == 0, check.stdout + check.stderr
        ready = json.loads(check.stdout.strip().splitlines()[-1])
        assert all(ready["checks"][k]["ok"] for k in ("occupancy", "counter", "ocr"))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        _stop_leftover_postgres(data / "pg")
