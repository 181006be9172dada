"""The VAPID key: generated once into the data dir in demo mode, required in production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.push.vapid import b64url, generate_private_key, load_private_key, public_key_b64url
from backend.settings import ENV_VARS, Settings, SettingsError, load_secrets


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DOSMOTR_DATA_DIR": str(tmp_path), **env})


def test_demo_generates_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_secrets(_settings(tmp_path))
    second = load_secrets(_settings(tmp_path))
    assert first == second
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["vapid_private_key"] == first.vapid_private_key
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_an_older_secrets_file_gains_a_key_and_keeps_its_pepper(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"token_pepper": "kept"}))
    secrets = load_secrets(_settings(tmp_path))
    assert secrets.token_pepper == "kept"
    assert json.loads((tmp_path / "secrets.json").read_text()) == {
        "token_pepper": "kept", "vapid_private_key": secrets.vapid_private_key}


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    assert "DOSMOTR_VAPID_PRIVATE_KEY" in ENV_VARS
    with pytest.raises(SettingsError, match="DOSMOTR_VAPID_PRIVATE_KEY"):
        load_secrets(_settings(tmp_path, DOSMOTR_ENV="production", DOSMOTR_TOKEN_PEPPER="p"))
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize("form", ["raw", "pem-pkcs8", "pem-sec1"])
def test_production_takes_the_key_from_the_environment(tmp_path: Path, form: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    if form == "raw":
        value = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    else:
        fmt = (serialization.PrivateFormat.PKCS8 if form == "pem-pkcs8"
               else serialization.PrivateFormat.TraditionalOpenSSL)
        value = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()
    secrets = load_secrets(_settings(tmp_path, DOSMOTR_ENV="production", DOSMOTR_TOKEN_PEPPER="p",
                                     DOSMOTR_VAPID_PRIVATE_KEY=value))
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    assert public_key_b64url(secrets.vapid_private_key) == b64url(point)


@pytest.mark.parametrize("value", ["not-a-key", b64url(b"\x01" * 31), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_an_unusable_key_is_a_configuration_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="VAPID"):
        load_secrets(_settings(tmp_path, DOSMOTR_TOKEN_PEPPER="p", DOSMOTR_VAPID_PRIVATE_KEY=value))


def test_generated_keys_are_p256() -> None:
    key = load_private_key(generate_private_key())
    assert isinstance(key.curve, ec.SECP256R1)
