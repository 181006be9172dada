"""Settings: one typed object built from the environment at start-up and passed down."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "wns2-par02p.notify.windows.com",
    "notify.windows.com",
)


# Every environment variable the app reads (compose.yaml is checked against this list).
ENV_VARS = (
    "DOSMOTR_ENV",
    "DOSMOTR_DATA_DIR",
    "DATABASE_URL",
    "DOSMOTR_MIGRATE_DATABASE_URL",
    "DOSMOTR_WORKER_STOP_GRACE_S",
    "DOSMOTR_WORKER_HEALTH_PORT",
    "DOSMOTR_HOST",
    "DOSMOTR_PORT",
    "DOSMOTR_OBJECT_STORE",
    "DOSMOTR_PUSH_HOSTS",
    "DOSMOTR_WEBHOOK_HOSTS",
    "DOSMOTR_DEMO_PASSWORD",
    "DOSMOTR_TOKEN_PEPPER",
    "DOSMOTR_VAPID_PRIVATE_KEY",
    "DOSMOTR_VAPID_SUBJECT",
    "DOSMOTR_WORKER_CONCURRENCY",
    "DOSMOTR_MODEL_THREADS",
    "DOSMOTR_MODELS_DIR",
    "DOSMOTR_PWA_DIR",
    "DOSMOTR_CORS_ORIGINS",
    "DOSMOTR_LOG_FORMAT",
    "DOSMOTR_METRICS_TOKEN",
    "DOSMOTR_TRUSTED_PROXIES",
)
# Read by boto3 itself when the object store is S3.
AWS_ENV_VARS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def asset_dir(folder: str, package: str) -> Path:
    """`folder` of the source tree in a checkout, else the copy the wheel installed as `package`.

    setup.py ships `pwa/` and `models/` as the packages `dosmotr_pwa` and `dosmotr_models`.
    """
    root = Path(__file__).resolve().parent.parent
    checkout = root / folder
    if (root / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout  # a source checkout, not site-packages
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return checkout


class SettingsError(Exception):
    """The environment does not describe a runnable configuration."""


class Secrets(msgspec.Struct, frozen=True):
    token_pepper: str
    # Web push (RFC 8292): the P-256 key the server signs VAPID JWTs with; base64url of the
    # raw 32-byte scalar, or PEM. Browsers bind subscriptions to its public half, so it must
    # outlive restarts and be the same in every API and worker process.
    vapid_private_key: str


class _SecretsFile(msgspec.Struct, frozen=True):
    token_pepper: str | None = None
    vapid_private_key: str | None = None


class Settings(msgspec.Struct, frozen=True):
    env: str
    data_dir: Path
    database_url: str | None
    host: str
    port: int
    object_store: str
    push_hosts: tuple[str, ...]
    demo_password: str
    token_pepper: str | None = None
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:push@dosmotr.kz"
    token_ttl_s: int = 12 * 3600
    max_json_body: int = 1 << 20
    max_image_body: int = 200 << 20
    worker_concurrency: int = 2
    model_threads: int = 2
    # The owner role that runs migrations; the app and worker connect with DATABASE_URL.
    migrate_database_url: str | None = None
    # On SIGTERM a job still running after this long goes back to the queue for another worker.
    worker_stop_grace_s: float = 5.0
    worker_health_port: int | None = None  # /healthz and /readyz of the worker; off if unset
    models_dir: Path = msgspec.field(default_factory=lambda: asset_dir("models", "dosmotr_models"))
    pwa_dir: Path = msgspec.field(default_factory=lambda: asset_dir("pwa", "dosmotr_pwa"))
    # Origins other than the app's own that browsers may call the API from (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    log_format: str = "text"  # text | json
    metrics_token: str | None = None  # GET /metrics answers loopback clients, or this bearer
    # IPs/CIDRs of the TLS proxies whose X-Forwarded-For names the client (backend/ops/forwarded.py);
    # none by default: forwarded headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
    # host[:port] the declaration system's webhooks may be posted to (push allowlist's rules)
    webhook_hosts: tuple[str, ...] = ()

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("DOSMOTR_ENV", "demo")
        if mode not in ("demo", "production"):
            raise SettingsError(f"DOSMOTR_ENV must be demo or production, not {mode!r}")
        data_dir = Path(env.get("DOSMOTR_DATA_DIR", "./var")).resolve()
        try:
            port = int(env.get("DOSMOTR_PORT", "8000"))
        except ValueError as exc:
            raise SettingsError("DOSMOTR_PORT must be an integer") from exc
        hosts = env.get("DOSMOTR_PUSH_HOSTS")
        push_hosts = (
            tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
            if hosts
            else DEFAULT_PUSH_HOSTS
        )
        return cls(
            env=mode,
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL") or None,
            host=env.get("DOSMOTR_HOST", "127.0.0.1"),
            port=port,
            object_store=env.get("DOSMOTR_OBJECT_STORE") or str(data_dir / "objects"),
            push_hosts=push_hosts,
            webhook_hosts=tuple(
                h.strip().lower() for h in env.get("DOSMOTR_WEBHOOK_HOSTS", "").split(",")
                if h.strip()
            ),
            demo_password=env.get("DOSMOTR_DEMO_PASSWORD", "demo-only"),
            token_pepper=env.get("DOSMOTR_TOKEN_PEPPER") or None,
            vapid_private_key=env.get("DOSMOTR_VAPID_PRIVATE_KEY") or None,
            vapid_subject=env.get("DOSMOTR_VAPID_SUBJECT") or "mailto:push@dosmotr.kz",
            worker_concurrency=int(env.get("DOSMOTR_WORKER_CONCURRENCY", "2")),
            model_threads=int(env.get("DOSMOTR_MODEL_THREADS", "2")),
            migrate_database_url=env.get("DOSMOTR_MIGRATE_DATABASE_URL") or None,
            worker_stop_grace_s=_number(env, "DOSMOTR_WORKER_STOP_GRACE_S", 5.0),
            worker_health_port=int(_number(env, "DOSMOTR_WORKER_HEALTH_PORT", 0)) or None,
            models_dir=Path(env["DOSMOTR_MODELS_DIR"]).resolve()
            if env.get("DOSMOTR_MODELS_DIR")
            else asset_dir("models", "dosmotr_models"),
            pwa_dir=Path(env["DOSMOTR_PWA_DIR"]).resolve()
            if env.get("DOSMOTR_PWA_DIR")
            else asset_dir("pwa", "dosmotr_pwa"),
            cors_origins=tuple(
                o.strip().rstrip("/") for o in env.get("DOSMOTR_CORS_ORIGINS", "").split(",")
                if o.strip()
            ),
            log_format=_log_format(env.get("DOSMOTR_LOG_FORMAT") or "text"),
            metrics_token=env.get("DOSMOTR_METRICS_TOKEN") or None,
            trusted_proxies=_networks(env, "DOSMOTR_TRUSTED_PROXIES"),
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number") from exc
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IPs and CIDRs, each written as a network (`10.0.0.5/32`)."""
    import ipaddress

    out = []
    for entry in (e.strip() for e in env.get(name, "").split(",")):
        if not entry:
            continue
        try:
            out.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError as exc:
            raise SettingsError(f"{name}: {entry!r} is not an IP address or network") from exc
    return tuple(out)


def _log_format(value: str) -> str:
    if value not in ("text", "json"):
        raise SettingsError(f"DOSMOTR_LOG_FORMAT must be text or json, not {value!r}")
    return value


def load_secrets(settings: Settings) -> Secrets:
    """Secrets come from the environment, else from `secrets.json` in the data dir.

    In demo mode a missing secret is generated into that file on first run; production
    refuses to invent secrets, because a pepper that changes on restart silently logs
    everybody out, a new VAPID key silently orphans every push subscription, and a generated
    one may never have been backed up.
    """
    path = settings.data_dir / "secrets.json"
    stored = _SecretsFile()
    if path.exists():
        try:
            stored = msgspec.json.decode(path.read_bytes(), type=_SecretsFile)
        except msgspec.DecodeError as exc:
            raise SettingsError(f"{path} is not a valid secrets file: {exc}") from exc
    pepper = settings.token_pepper or stored.token_pepper
    vapid = settings.vapid_private_key or stored.vapid_private_key
    if settings.production:
        if not pepper:
            raise SettingsError(
                "production mode needs DOSMOTR_TOKEN_PEPPER or a secrets.json in the data dir"
            )
        if not vapid:
            raise SettingsError(
                "production mode needs DOSMOTR_VAPID_PRIVATE_KEY or a secrets.json in the data dir"
            )
    from backend.push.vapid import InvalidVapidKey, generate_private_key, load_private_key

    generated = {}
    if not pepper:
        pepper = generated["token_pepper"] = secrets.token_urlsafe(32)
    if not vapid:
        vapid = generated["vapid_private_key"] = generate_private_key()
    try:
        load_private_key(vapid)
    except InvalidVapidKey as exc:
        raise SettingsError(f"the VAPID private key is not usable: {exc}") from exc
    if generated:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        merged = {**msgspec.to_builtins(stored), **generated}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: v for k, v in merged.items() if v is not None}))
        tmp.chmod(0o600)
        tmp.replace(path)
    assert pepper and vapid
    return Secrets(token_pepper=pepper, vapid_private_key=vapid)
