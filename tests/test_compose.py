"""compose.yaml agrees with the settings the app reads, the commands the CLI has, and the rules
of a production install: TLS in front, pinned images, no default secrets, least privilege.

There is no Docker engine here: the file is parsed, and compose's variable interpolation is
reproduced for the `${VAR}`, `${VAR:-default}` and `${VAR:?message}` forms it uses.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from backend.cli import build_parser
from backend.settings import AWS_ENV_VARS, ENV_VARS, Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
JOBS = {"minio-init"}
SECRET = re.compile(r"PASSWORD|SECRET|PEPPER|TOKEN|PRIVATE_KEY")
VAR = re.compile(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")

# What an operator's .env provides (the required variables).
OPERATOR_ENV = {
    "SITE_ADDRESS": "dosmotr.post.example",
    "POSTGRES_OWNER_PASSWORD": "0wner0wner",
    "POSTGRES_APP_PASSWORD": "app0app0",
    "MINIO_ROOT_USER": "minio-root",
    "MINIO_ROOT_PASSWORD": "r00tr00tr00t",
    "MINIO_APP_PASSWORD": "appappappapp",
    "DOSMOTR_TOKEN_PEPPER": "pepper-pepper",
    "DOSMOTR_VAPID_PRIVATE_KEY": "vapid",
    "DOSMOTR_METRICS_TOKEN": "metrics-token",
}


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise MissingVariable(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return VAR.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def _raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    return interpolate(_raw(), OPERATOR_ENV if env is None else env)


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service.get("environment", {}).items()}


def test_services_volumes_and_mounts() -> None:
    doc = _compose()
    services = doc["services"]
    assert set(services) == {"proxy", "postgres", "minio", "minio-init", "app", "worker"}
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repo"
            else:
                assert source in doc["volumes"], f"{name} mounts an undeclared volume {source}"


def test_images_are_pinned() -> None:
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version
    for name, svc in _compose()["services"].items():
        image = svc["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d+\.\d+|\d{4}-\d\d-\d\d", tag), f"{name}: {image} is not a version"
        if "build" in svc:
            assert image == f"dosmotr:{version.group(1)}"


def test_every_service_restarts_runs_under_init_and_has_a_health_check() -> None:
    services = _compose()["services"]
    waited_for = {dep for svc in services.values()
                  for dep, cond in svc.get("depends_on", {}).items()
                  if cond["condition"] == "service_completed_successfully"}
    assert waited_for == JOBS
    for name, svc in services.items():
        assert svc.get("init") is True, name
        if name in JOBS:
            assert svc["restart"] == "no", f"{name} is a one-shot job; restarting it loops"
            continue
        assert svc["restart"] == "unless-stopped", name
        test = svc["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
        for dep, cond in svc.get("depends_on", {}).items():
            if dep not in JOBS:
                assert cond["condition"] == "service_healthy", f"{name} -> {dep}"


def test_health_checks_call_what_exists() -> None:
    services = _compose()["services"]
    parser = build_parser()
    for name in ("app", "worker"):
        svc = services[name]
        parser.parse_args(svc["command"][1:])  # a real subcommand
        test = svc["healthcheck"]["test"][1:]
        if test[0] == "dosmotr":
            parser.parse_args(test[1:])
        else:
            assert test[:2] == ["python", "-c"]
            compile(test[2], name, "exec")
            port = _env(svc).get("DOSMOTR_PORT", "8000")
            assert f"127.0.0.1:{port}/readyz" in test[2] or f"127.0.0.1:{port}/healthz" in test[2]


def test_no_default_secrets() -> None:
    text = COMPOSE.read_text()
    for m in VAR.finditer(text):
        name, op = m.group(1), m.group(2)
        if SECRET.search(name):
            assert op == ":?", f"${{{name}}} must be required (${{{name}:?...}}), not defaulted"
    # Compose refuses to start without each of them.
    for name in OPERATOR_ENV:
        with pytest.raises(MissingVariable, match=name):
            _compose({k: v for k, v in OPERATOR_ENV.items() if k != name})
    # No literal credential anywhere: every password in a URL and every secret setting
    # comes from the operator's environment.
    services = _compose()["services"]
    for svc in services.values():
        for key, value in _env(svc).items():
            if SECRET.search(key) and key != "PROXY_TLS":
                assert value in OPERATOR_ENV.values(), key
            if value.startswith("postgresql://"):
                assert urlsplit(value).password in OPERATOR_ENV.values(), key


def test_app_environment_is_what_settings_read() -> None:
    services = _compose()["services"]
    for name, svc in services.items():
        dosmotr_vars = {k for k in _env(svc) if k.startswith("DOSMOTR_")}
        assert dosmotr_vars <= set(ENV_VARS), f"{name} sets variables nobody reads"
    for name in ("app", "worker"):
        env = _env(services[name])
        unknown = set(env) - set(ENV_VARS) - set(AWS_ENV_VARS)
        assert not unknown, f"{name} sets variables nobody reads: {unknown}"
        assert env["DOSMOTR_ENV"] == "production"
        assert env["DOSMOTR_OBJECT_STORE"].startswith("s3://")
        settings = Settings.from_env(env)  # the environment as compose gives it is valid
        assert settings.production
    assert services["app"]["environment"]["DOSMOTR_HOST"] == "0.0.0.0"


def test_postgres_has_an_owner_and_an_app_role() -> None:
    services = _compose()["services"]
    pg = _env(services["postgres"])
    app = _env(services["app"])
    owner = urlsplit(app["DOSMOTR_MIGRATE_DATABASE_URL"])
    assert owner.username == pg["POSTGRES_USER"] and owner.password == pg["POSTGRES_PASSWORD"]
    assert owner.hostname == "postgres" and owner.path == f"/{pg['POSTGRES_DB']}"
    for name in ("app", "worker"):
        url = urlsplit(_env(services[name])["DATABASE_URL"])
        assert url.username != owner.username, f"{name} must not connect as the owner"
        assert url.password == pg["POSTGRES_APP_PASSWORD"]
        assert "DOSMOTR_MIGRATE_DATABASE_URL" not in _env(services[name]) or name == "app"
    # The init script creates exactly that role, with no power of its own.
    script = (ROOT / "deploy" / "postgres" / "10-app-role.sh").read_text()
    app_user = urlsplit(app["DATABASE_URL"]).username
    assert f"CREATE ROLE {app_user} LOGIN NOSUPERUSER" in script
    assert "PASSWORD :'app_password'" in script and 'app_password="$POSTGRES_APP_PASSWORD"' in script
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in _raw()["services"]["postgres"]["volumes"]


def test_minio_app_user_is_scoped_to_the_evidence_bucket() -> None:
    services = _compose()["services"]
    init = services["minio-init"]
    bucket = urlsplit(_env(services["app"])["DOSMOTR_OBJECT_STORE"]).netloc
    for name in ("app", "worker"):
        env = _env(services[name])
        assert env["AWS_ACCESS_KEY_ID"] == _env(init)["MINIO_APP_USER"]
        assert env["AWS_ACCESS_KEY_ID"] != _env(services["minio"])["MINIO_ROOT_USER"]
        assert env["AWS_SECRET_ACCESS_KEY"] == _env(init)["MINIO_APP_PASSWORD"]
        assert env["AWS_SECRET_ACCESS_KEY"] != _env(services["minio"])["MINIO_ROOT_PASSWORD"]
    assert init["entrypoint"] == ["/bin/sh", "/etc/dosmotr/init.sh"]
    script = (ROOT / "deploy" / "minio" / "init.sh").read_text()
    commands = [shlex.split(line) for line in script.splitlines()
                if line.strip().startswith(("mc ", "if ! mc")) or " mc " in line]
    flat = [" ".join(c) for c in commands]
    assert f"BUCKET={bucket}" in script
    assert any("mb --with-lock local/$BUCKET" in c for c in flat)
    assert any("retention set --default COMPLIANCE" in c for c in flat)
    assert any("admin policy create local dosmotr-app /etc/dosmotr/app-policy.json" in c for c in flat)
    assert any("admin user add local $MINIO_APP_USER $MINIO_APP_PASSWORD" in c for c in flat)
    assert any("admin policy attach local dosmotr-app --user $MINIO_APP_USER" in c for c in flat)
    policy = json.loads((ROOT / "deploy" / "minio" / "app-policy.json").read_text())
    actions = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            assert resource in (f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"), resource
        actions.update(statement["Action"])
    assert not any("*" in a for a in actions)
    assert not any("Delete" in a or "Bypass" in a for a in actions), "evidence is never deleted"
    assert {"s3:GetObject", "s3:PutObject", "s3:PutObjectRetention", "s3:AbortMultipartUpload",
            "s3:GetBucketObjectLockConfiguration"} <= actions


def _caddy_blocks() -> dict[str, str]:
    """Top-level blocks of the Caddyfile: address -> body (comment lines dropped)."""
    lines = [line for line in CADDYFILE.read_text().splitlines()
             if not line.strip().startswith("#")]
    blocks: dict[str, str] = {}
    depth, address, body = 0, "", []
    for line in lines:
        if depth == 0 and line.strip().endswith("{"):
            address, body = line.strip()[:-1].strip(), []
        elif depth > 0:
            body.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0 and body:
            blocks[address], body = "\n".join(body[:-1]), []
    return blocks


def test_proxy_terminates_tls_with_hsts_and_redirects_http() -> None:
    services = _compose()["services"]
    published = {name: svc.get("ports", []) for name, svc in services.items()}
    assert sorted(published.pop("proxy")) == ["443:443", "80:80"]
    assert not any(published.values()), f"only the proxy publishes ports: {published}"
    proxy = services["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in _raw()["services"]["proxy"]["volumes"]
    blocks = _caddy_blocks()
    assert set(blocks) == {"", "http://{$SITE_ADDRESS}", "https://{$SITE_ADDRESS}"}
    site = blocks["https://{$SITE_ADDRESS}"]
    assert "redir https://{host}{uri} 308" in blocks["http://{$SITE_ADDRESS}"]
    assert "tls {$PROXY_TLS:internal}" in site
    hsts = re.search(r'Strict-Transport-Security "max-age=(\d+)', site)
    assert hsts and int(hsts.group(1)) >= 31536000
    assert "reverse_proxy app:8000" in site
    assert "flush_interval -1" in site  # SSE events pass at once
    assert "max_size" not in site and "request_body" not in site  # tus chunks are not capped here
    assert _env(services["app"])["DOSMOTR_PORT"] == "8000"
    # Every variable the Caddyfile reads is given to the proxy; the own-certificate paths it
    # documents are inside the mounted /certs.
    used = set(re.findall(r"\{\$(\w+)", "\n".join([*blocks, *blocks.values()])))
    assert used == {"SITE_ADDRESS", "PROXY_TLS"}
    assert used <= set(_env(proxy))
    assert "./deploy/certs:/certs:ro" in _raw()["services"]["proxy"]["volumes"]
    assert '"/certs/fullchain.pem /certs/privkey.pem"' in CADDYFILE.read_text()


def test_the_app_trusts_forwarded_addresses_from_the_proxy_only() -> None:
    doc = _compose()
    services = doc["services"]
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    subnet = doc["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    assert set(services["proxy"]["networks"]) == {"edge"}  # the proxy reaches the app only
    assert "edge" in services["app"]["networks"]
    trusted = Settings.from_env(_env(services["app"])).trusted_proxies
    assert [str(n) for n in trusted] == [f"{proxy_address}/32"]
    assert "DOSMOTR_TRUSTED_PROXIES" not in _env(services["worker"])
