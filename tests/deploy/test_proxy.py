"""deploy/Caddyfile run by a real Caddy (Debian's package) in front of a real `dosmotr serve`:
TLS from Caddy's internal CA and from an operator's own certificate, HSTS, http redirected to
https, large bodies reaching the app's own limit, and server-sent events passing at once.

Only what must differ on a test machine is changed in a copy of the file: the ports (no root
needed for 80/443), the admin port and the upstream (compose's `app:8000`).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.recordings.server import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
CADDY = Path("/usr/bin/caddy")
SITE = "127.0.0.1"  # a post reached by IP address: the internal CA issues for it

# `make test` installs Debian's caddy with chromium; without it this must fail, not pass.
assert CADDY.exists(), "Debian's caddy is not installed: run `make chromium` (as root)"


class Proxy:
    def __init__(self, work: Path, upstream: int, env: dict[str, str]) -> None:
        self.work, self.http, self.https = work, free_port(), free_port()
        admin = free_port()
        text = (ROOT / "deploy" / "Caddyfile").read_text()
        for old, new in (
            ("reverse_proxy app:8000", f"reverse_proxy 127.0.0.1:{upstream}"),
            ("admin 127.0.0.1:2019", f"admin 127.0.0.1:{admin}\n\thttp_port {self.http}\n\t"
                                     f"https_port {self.https}"),
        ):
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        self.config = work / "Caddyfile"
        self.config.write_text(text)
        self.env = {"PATH": os.environ["PATH"], "HOME": str(work), "XDG_DATA_HOME": str(work / "data"),
                    "XDG_CONFIG_HOME": str(work / "config"), "SITE_ADDRESS": SITE, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://{SITE}:{self.https}"

    def start(self) -> Proxy:
        log = (self.work / "caddy.log").open("wb")
        self.proc = subprocess.Popen([str(CADDY), "run", "--config", str(self.config),
                                      "--adapter", "caddyfile"], env=self.env, stdout=log, stderr=log)
        return self

    def wait(self, verify: ssl.SSLContext) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            try:
                httpx.get(self.url + "/healthz", verify=verify, timeout=2)
                return
            except (httpx.TransportError, ssl.SSLError, FileNotFoundError):
                time.sleep(0.3)
        raise TimeoutError(self.log())

    def log(self) -> str:
        return (self.work / "caddy.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def work() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dosmotr-proxy-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def app_server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(db_url, tmp_path).start()
    yield proc
    proc.stop()


def _internal_root(work: Path) -> ssl.SSLContext:
    root = work / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    deadline = time.monotonic() + 30
    while not root.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return ssl.create_default_context(cafile=str(root))


def test_internal_ca_hsts_redirect_bodies_and_streams(
    app_server: ServerProcess, work: Path, template: dict[str, str],
) -> None:
    proxy = Proxy(work, app_server.port, {}).start()
    try:
        verify = _internal_root(work)
        proxy.wait(verify)
        with httpx.Client(base_url=proxy.url, verify=verify, timeout=30) as client:
            page = client.get("/")
            assert page.status_code == 200 and "<title>Dosmotr</title>" in page.text
            hsts = page.headers["strict-transport-security"]
            assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
            assert "server" not in page.headers
            assert page.headers["x-content-type-options"] == "nosniff"  # the app's own, passed on

            # A body far over the app's JSON limit reaches the app, which answers its problem.
            big = client.post("/api/auth/login", content=b"{" + b" " * (3 << 20) + b"}",
                              headers={"Content-Type": "application/json"})
            assert big.status_code == 413
            assert big.headers["content-type"].startswith("application/problem+json")

            # The board stream's first event arrives while the stream stays open.
            token = template["head.alakol"]
            started = time.monotonic()
            with client.stream("GET", "/api/board/stream?max_s=60",
                               headers={"Authorization": f"Bearer {token}"}) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                seen = b""
                for chunk in stream.iter_raw():
                    seen += chunk
                    if b"event: ready" in seen:
                        break
            assert b"event: ready" in seen and time.monotonic() - started < 20

        plain = httpx.get(f"http://{SITE}:{proxy.http}/inspections?x=1", timeout=10)
        assert plain.status_code == 308
        assert plain.headers["location"] == f"https://{SITE}/inspections?x=1"
    finally:
        proxy.stop()


def _own_certificate(folder: Path) -> Path:
    """A customs CA and a server certificate for the post's address, as an operator mounts them."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Customs test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(SITE))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir()
    pem = serialization.Encoding.PEM
    (folder / "fullchain.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "privkey.pem").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    return folder


def test_the_services_own_certificate(app_server: ServerProcess, work: Path) -> None:
    certs = _own_certificate(work / "certs")
    tls = f"{certs / 'fullchain.pem'} {certs / 'privkey.pem'}"  # as PROXY_TLS names /certs/...
    proxy = Proxy(work, app_server.port, {"PROXY_TLS": tls}).start()
    try:
        # Only the customs CA is trusted here: a handshake proves the mounted pair is served.
        verify = ssl.create_default_context(cafile=str(certs / "ca.pem"))
        proxy.wait(verify)
        resp = httpx.get(proxy.url + "/healthz", verify=verify, timeout=10)
        assert resp.status_code == 200
        assert "strict-transport-security" in resp.headers
    finally:
        proxy.stop()
