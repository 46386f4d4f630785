"""The base URL that replaces ``PLUGIN_HOSTNAME`` in the manifest and the spec.

The quickstart builds it from the Host header, which any client controls. Here it is, in order:
``PLUGIN_PUBLIC_URL`` when set (then no request header changes a byte); the values set by the
``PLUGIN_TRUSTED_PROXY_HOPS`` trusted proxies; otherwise the request's own Host, but only for
loopback hosts, which is what a developer installing ``http://localhost:PORT`` needs.
"""

from __future__ import annotations

import functools
import re

from . import networks
from .asgi import Scope, header
from .config import Settings
from .networks import forwarded_hops

__all__ = ["LOOPBACK_HOSTS", "client_address", "public_base_url"]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _forwarded(scope: Scope, name: bytes, hops: int) -> str | None:
    """The value the outermost trusted proxy set, as Werkzeug's ProxyFix reads it."""
    raw = header(scope, name)
    if raw is None:
        return None
    values = [value.strip() for value in raw.split(",")]
    return values[-hops] if len(values) >= hops else None


def public_base_url(settings: Settings, scope: Scope) -> str | None:
    """The base URL for this request, or None when it cannot be trusted."""
    if settings.base_url:
        return settings.base_url
    scheme = str(scope.get("scheme", "http"))
    host = header(scope, b"host")
    hops = forwarded_hops(scope, settings.trusted_proxy_hops, settings.trusted_proxy_networks)
    if hops:
        scheme = _forwarded(scope, b"x-forwarded-proto", hops) or scheme
        host = _forwarded(scope, b"x-forwarded-host", hops) or host
        if scheme not in ("http", "https") or host is None or not HOST.fullmatch(host):
            return None
        return f"{scheme}://{host}"
    return None if host is None else _loopback_base_url(scheme, host)


@functools.lru_cache(maxsize=64)
def _loopback_base_url(scheme: str, host: str) -> str | None:
    """``scheme://host`` if ``host`` is a loopback host; cached, as every fetch asks again."""
    if not HOST.fullmatch(host):
        return None
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if hostname.lower() not in LOOPBACK_HOSTS:
        return None
    return f"{scheme}://{host}"


def client_address(settings: Settings, scope: Scope) -> str:
    """The caller's address: the peer, or what the outermost trusted proxy saw ("-": unknown)."""
    hops = forwarded_hops(scope, settings.trusted_proxy_hops, settings.trusted_proxy_networks)
    address = networks.client_address(scope, hops)
    return "-" if address is None else str(address)
