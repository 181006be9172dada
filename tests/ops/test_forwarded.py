"""The client's address behind the TLS proxy (DOSMOTR_TRUSTED_PROXIES), over real HTTP.

Two real `dosmotr serve` processes: one trusting no proxy (the default), one trusting
127.0.0.1 as its proxy. Clients connect from 127.0.0.1 (the proxy) or from 127.0.0.2 (another
machine as far as the server can tell: Linux routes all of 127/8 over loopback). What the
server took as the client's address is read where it counts: the audit of failed logins and
the per-address login limit.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
import yaml

from backend.ops.forwarded import TrustedProxies, parse_networks
from backend.settings import Settings, SettingsError
from tests.conftest import PASSWORD, EmbeddedServer
from tests.deploy.test_proxy import Proxy, _internal_root
from tests.recordings.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
PROXY, ELSEWHERE = "127.0.0.1", "127.0.0.2"
_dbs = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def trusting_db(pg: EmbeddedServer, template: dict[str, str]) -> AsyncIterator[str]:
    async with pg.clone_of_template(f"fwd_t_{os.getpid()}_{next(_dbs)}") as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def plain_db(pg: EmbeddedServer, template: dict[str, str]) -> AsyncIterator[str]:
    async with pg.clone_of_template(f"fwd_p_{os.getpid()}_{next(_dbs)}") as url:
        yield url


@pytest.fixture(scope="module")
def trusting(trusting_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Trusts its proxy at 127.0.0.1 and a second proxy hop anywhere in 10/8."""
    proc = ServerProcess(trusting_db, tmp_path_factory.mktemp("fwd-trusting"),
                         env_extra={"DOSMOTR_TRUSTED_PROXIES": f"{PROXY}, 10.0.0.0/8"}).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def plain(plain_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Trusts nobody (no DOSMOTR_TRUSTED_PROXIES), as a default install."""
    env = {"DOSMOTR_TRUSTED_PROXIES": "", "FORWARDED_ALLOW_IPS": "*"}  # uvicorn's own is off
    proc = ServerProcess(plain_db, tmp_path_factory.mktemp("fwd-plain"), env_extra=env).start()
    yield proc
    proc.stop()


def _client(server: ServerProcess, source: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=30,
                             transport=httpx.AsyncHTTPTransport(local_address=source))


async def _login(client: httpx.AsyncClient, login: str, password: str,
                 forwarded_for: str | None = None) -> httpx.Response:
    headers = {"user-agent": "forwarded-test"}
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    return await client.post("/api/auth/login", json={"login": login, "password": password},
                             headers=headers)


async def _failed_addresses(dsn: str, login: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT payload->>'address' AS address FROM audit_events "
            "WHERE action = 'auth.login_failed' AND payload->>'login' = $1 ORDER BY seq", login)
    finally:
        await conn.close()
    return [r["address"] for r in rows]


async def test_no_trusted_proxy_ignores_forwarded_headers(plain: ServerProcess, plain_db: str) -> None:
    async with _client(plain, PROXY) as client:
        resp = await _login(client, "nobody.plain", "wrong", forwarded_for="203.0.113.9")
        assert resp.status_code == 401, resp.text
    # Neither this app nor uvicorn (whose default trusts 127.0.0.1) took the forged address.
    assert await _failed_addresses(plain_db, "nobody.plain") == [PROXY]


async def test_untrusted_peer_cannot_forge_its_address(
    trusting: ServerProcess, trusting_db: str,
) -> None:
    async with _client(trusting, ELSEWHERE) as client:
        for forged in ("198.51.100.7", f"198.51.100.7, {PROXY}", PROXY):
            resp = await _login(client, "nobody.elsewhere", "wrong", forwarded_for=forged)
            assert resp.status_code == 401, resp.text
    assert await _failed_addresses(trusting_db, "nobody.elsewhere") == [ELSEWHERE] * 3


async def test_trusted_proxy_names_the_rightmost_untrusted_hop(
    trusting: ServerProcess, trusting_db: str,
) -> None:
    cases = [
        ("192.0.2.10", "192.0.2.10"),  # what Caddy sends: the tablet's address alone
        ("6.6.6.6, 192.0.2.11", "192.0.2.11"),  # the tablet forged a hop; the proxy appended
        ("6.6.6.6, 192.0.2.12, 10.1.2.3", "192.0.2.12"),  # through a second trusted proxy
        ("192.0.2.13:51234", "192.0.2.13"),  # a hop with its port
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("junk, 192.0.2.14", "192.0.2.14"),  # garbage left of the client does not matter
        ("192.0.2.15, junk", PROXY),  # a hop that is no address: the proxy's own stands
        (None, PROXY),  # a request the proxy did not annotate
    ]
    async with _client(trusting, PROXY) as client:
        for i, (forwarded, _) in enumerate(cases):
            resp = await _login(client, f"nobody.hop{i}", "wrong", forwarded_for=forwarded)
            assert resp.status_code == 401, resp.text
    for i, (forwarded, expected) in enumerate(cases):
        assert await _failed_addresses(trusting_db, f"nobody.hop{i}") == [expected], forwarded


async def test_throttling_counts_the_tablet_behind_the_proxy(
    trusting: ServerProcess, trusting_db: str,
) -> None:
    tablet, neighbour = "192.0.2.20", "192.0.2.21"
    async with _client(trusting, PROXY) as proxy, _client(trusting, ELSEWHERE) as elsewhere:
        # 20 failures from one tablet, each on another login (under the per-login limit).
        for i in range(20):
            resp = await _login(proxy, f"guess.{i}", "wrong", forwarded_for=tablet)
            assert resp.status_code == 401, resp.text
        blocked = await _login(proxy, "auditor", PASSWORD, forwarded_for=tablet)
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["code"] == "too_many_attempts"
        assert int(blocked.headers["retry-after"]) > 0
        # Every other tablet behind the same proxy still logs in ...
        ok = await _login(proxy, "auditor", PASSWORD, forwarded_for=neighbour)
        assert ok.status_code == 200, ok.text
        assert ok.json()["token"]
        # ... and a peer that is no proxy cannot borrow the blocked address to lock it further
        # (nor is it blocked by it).
        own = await _login(elsewhere, "auditor", PASSWORD, forwarded_for=tablet)
        assert own.status_code == 200, own.text
    assert await _failed_addresses(trusting_db, "auditor") == [tablet]  # the refused attempt


async def test_behind_the_real_caddy_the_tablets_own_address_counts(
    trusting: ServerProcess, trusting_db: str, tmp_path: Path,
) -> None:
    """deploy/Caddyfile's Caddy in front: it names the address it saw in X-Forwarded-For, and
    the app, trusting Caddy's address, takes that one, not what the tablet wrote there."""
    proxy = Proxy(tmp_path, trusting.port, {}).start()
    try:
        verify = _internal_root(tmp_path)
        proxy.wait(verify)
        async with httpx.AsyncClient(
            base_url=proxy.url, timeout=30,
            transport=httpx.AsyncHTTPTransport(local_address=ELSEWHERE, verify=verify),
        ) as tablet:
            resp = await _login(tablet, "nobody.caddy", "wrong", forwarded_for="203.0.113.66")
            assert resp.status_code == 401, resp.text
            assert resp.headers["strict-transport-security"]  # it did pass through Caddy
    finally:
        proxy.stop()
    assert await _failed_addresses(trusting_db, "nobody.caddy") == [ELSEWHERE]


async def test_metrics_loopback_rule_follows_the_forwarded_client(trusting: ServerProcess) -> None:
    async with _client(trusting, PROXY) as client:
        assert (await client.get("/metrics")).status_code == 200  # the host itself
        relayed = await client.get("/metrics", headers={"x-forwarded-for": "192.0.2.30"})
        assert relayed.status_code == 403, relayed.text  # a tablet through the proxy


def test_rightmost_untrusted_hop() -> None:
    trusted = TrustedProxies(parse_networks(["10.0.0.0/8", "::1"]))
    assert trusted.client_of(["1.1.1.1, 2.2.2.2"]) == "2.2.2.2"
    assert trusted.client_of(["1.1.1.1", "2.2.2.2, 10.9.9.9"]) == "2.2.2.2"  # headers in order
    assert trusted.client_of(["10.1.1.1, 10.2.2.2"]) == "10.1.1.1"  # every hop a proxy
    assert trusted.client_of(["::ffff:192.0.2.1"]) == "192.0.2.1"
    assert trusted.client_of(["unknown"]) is None
    assert trusted.client_of([" , "]) is None
    assert trusted.trusts(parse_networks(["::1"])[0].network_address)
    assert not TrustedProxies(()).trusts(None)


def test_setting_parses_ips_and_networks() -> None:
    assert Settings.from_env({}).trusted_proxies == ()
    parsed = Settings.from_env({"DOSMOTR_TRUSTED_PROXIES": " 172.30.250.10, 10.0.0.0/8 ,::1,"})
    assert parsed.trusted_proxies == ("172.30.250.10/32", "10.0.0.0/8", "::1/128")
    for bad in ("*", "proxy", "10.0.0.0/33"):
        with pytest.raises(SettingsError, match="DOSMOTR_TRUSTED_PROXIES"):
            Settings.from_env({"DOSMOTR_TRUSTED_PROXIES": bad})


def test_compose_trusts_exactly_the_proxys_address() -> None:
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = doc["services"]
    proxy_address = services["proxy"]["networks"]["edge"]["ipv4_address"]
    assert services["app"]["environment"]["DOSMOTR_TRUSTED_PROXIES"] == proxy_address
    assert "FORWARDED_ALLOW_IPS" not in services["app"]["environment"]
    assert "edge" in services["app"]["networks"]
    assert set(services["proxy"]["networks"]) == {"edge"}  # the proxy reaches the app alone
    [subnet] = [c["subnet"] for c in doc["networks"]["edge"]["ipam"]["config"]]
    default = "172.30.250.10"
    assert proxy_address == "${PROXY_ADDRESS:-" + default + "}"
    assert subnet == "${EDGE_SUBNET:-172.30.250.0/24}"
    assert TrustedProxies(parse_networks(["172.30.250.0/24"])).trusts(
        parse_networks([default])[0].network_address)
