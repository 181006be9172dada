"""Which push services the server may post to: an allowlist of host[:port], https only.

Plain http is accepted only for a loopback host that is itself on the list (a local push
service stand-in); nothing else the server reaches for a browser's endpoint is ever taken on
trust, since the endpoint URL comes from the client.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from backend.errors import PushEndpointRefused

MAX_ENDPOINT = 2048


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _entry(entry: str) -> tuple[str, str]:
    """host[:port], [v6]:port or a bare v6 address -> (host, port or "")."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        name, _, rest = entry[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, port
    return entry, ""


def _listed(host: str, port: int, allowlist: tuple[str, ...]) -> bool:
    for entry in allowlist:
        name, entry_port = _entry(entry)
        if entry_port and entry_port != str(port):
            continue
        # "*.example.com" admits subdomains (e.g. the regional hosts of one push service).
        if host == name or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def check_endpoint(endpoint: str, allowlist: tuple[str, ...]) -> str:
    """Returns the endpoint's origin (the VAPID `aud`), or raises PushEndpointRefused."""
    if len(endpoint) > MAX_ENDPOINT:
        raise PushEndpointRefused(f"an endpoint is at most {MAX_ENDPOINT} characters")
    try:
        url = urlsplit(endpoint)
        host = (url.hostname or "").lower()
        port = url.port
    except ValueError as exc:
        raise PushEndpointRefused(f"the endpoint is not a URL: {exc}") from exc
    if not host or url.username or url.password:
        raise PushEndpointRefused("the endpoint must be an absolute URL with a host and no credentials")
    if url.scheme not in ("https", "http"):
        raise PushEndpointRefused("push endpoints are https URLs")
    port = port or (443 if url.scheme == "https" else 80)
    if not _listed(host, port, allowlist):
        raise PushEndpointRefused(f"{host} is not on the push-service allowlist (DOSMOTR_PUSH_HOSTS)")
    if url.scheme == "http" and not _is_loopback(host):
        raise PushEndpointRefused("push endpoints are https URLs")
    netloc = f"[{host}]" if ":" in host else host
    default = 443 if url.scheme == "https" else 80
    return f"{url.scheme}://{netloc}" + ("" if port == default else f":{port}")
