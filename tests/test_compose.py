"""compose.yaml agrees with the settings the app reads and the commands the CLI has."""

from __future__ import annotations

from pathlib import Path

import yaml

from backend.cli import build_parser
from backend.settings import AWS_ENV_VARS, ENV_VARS, Settings

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(COMPOSE.read_text())


def test_services_and_volumes() -> None:
    doc = _compose()
    services = doc["services"]
    assert {"postgres", "minio", "app", "worker"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "minio" in services["minio"]["image"]
    assert set(doc["volumes"]) >= {"pgdata", "minio", "appdata"}
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            assert vol.split(":")[0] in doc["volumes"], f"{name} mounts an undeclared volume"


def test_bucket_is_created_with_object_lock() -> None:
    init = _compose()["services"]["minio-init"]["entrypoint"]
    assert "mb --with-lock" in init
    assert "retention set --default COMPLIANCE" in init


def test_app_environment_is_what_settings_read() -> None:
    services = _compose()["services"]
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    for name in ("app", "worker"):
        svc = services[name]
        env = svc["environment"]
        unknown = set(env) - set(ENV_VARS) - set(AWS_ENV_VARS)
        assert not unknown, f"{name} sets variables nobody reads: {unknown}"
        assert env["DOSMOTR_ENV"] == "production"
        assert env["DOSMOTR_OBJECT_STORE"].startswith("s3://")
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert svc["command"][0] == "dosmotr" and svc["command"][1] in subcommands
        # The environment as compose gives it builds valid settings.
        plain = {k: str(v) for k, v in env.items() if "${" not in str(v)}
        settings = Settings.from_env(plain)
        assert settings.production
    assert services["app"]["environment"]["DOSMOTR_HOST"] == "0.0.0.0"
