"""The client's address behind the TLS proxy (`DOSMOTR_TRUSTED_PROXIES`).

Login throttling, the audit of failed logins and the metrics' loopback rule read the client's
address from the connection. Behind Caddy that is the proxy's address for every tablet, so the
address-wide login limit would lock the whole post out at once. Only when the direct peer is a
trusted proxy does `X-Forwarded-For` count, and then its rightmost hop that is not itself a
trusted proxy is the client: everything left of that was written by the client and may be
forged. With no trusted proxies (the default) forwarded headers are ignored altogether.

This is the only place that reads forwarded headers: `backend/server.py` starts uvicorn with
its own `proxy_headers` off, so tests and every ASGI server see the same rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_SCHEMES = {"http": ("http", "https"), "websocket": ("ws", "wss")}


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """IPs and CIDRs (`10.0.0.5`, `172.30.250.0/24`, `::1`); ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry.strip()!r} is not an IP address or network") from exc
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An address as a peer or an X-Forwarded-For hop spells it (`1.2.3.4:5678`, `[::1]:80`)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return address


class TrustedProxies:
    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: IPAddress | None) -> bool:
        return address is not None and any(address in n for n in self.networks)

    def client_of(self, forwarded_for: list[str]) -> str | None:
        """The client named by a trusted peer's X-Forwarded-For headers, None if they name none.

        Walks the hops from the right over trusted proxies; the first hop that is not one is
        the client. A hop that is no address ends the walk at the last trusted one.
        """
        hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
        client = None
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break
            client = str(address)
            if not self.trusts(address):
                break
        return client


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == name]


class ForwardedMiddleware:
    """Rewrites the scope's `client` (and `scheme`, from X-Forwarded-Proto) for trusted peers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client") if scope["type"] in _SCHEMES else None
        if peer and self.trusted.trusts(_address(peer[0])):
            changed: dict[str, Any] = {}
            client = self.trusted.client_of(_headers(scope, b"x-forwarded-for"))
            if client is not None:
                changed["client"] = (client, 0)
            proto = [p.strip().lower() for p in _headers(scope, b"x-forwarded-proto")]
            if proto and proto[-1] in ("http", "https"):
                plain, secure = _SCHEMES[scope["type"]]
                changed["scheme"] = secure if proto[-1] == "https" else plain
            scope = {**scope, **changed}  # type: ignore[assignment]
        await self.app(scope, receive, send)


def with_forwarded(app: Any, trusted_proxies: Iterable[str]) -> Any:
    """Wrap the Litestar app's ASGI handler (as `backend.ops.edge.with_edge` does)."""
    trusted = TrustedProxies(parse_networks(trusted_proxies))
    if trusted:
        app.asgi_handler = ForwardedMiddleware(app.asgi_handler, trusted)
    return app
