"""Client addresses and network lists, shared by the allowlist and the rate limiter.

The client address is the TCP peer, unless ``PLUGIN_TRUSTED_PROXY_HOPS`` says that many proxies
stand in front: then it is the ``X-Forwarded-For`` entry the outermost trusted proxy appended,
read from the right as Werkzeug's ProxyFix does, so entries a client prepends change nothing.
With ``PLUGIN_TRUSTED_PROXIES`` set, forwarded headers count only when the TCP peer is one of
those proxies.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .asgi import Scope, header

__all__ = [
    "IPAddress",
    "Network",
    "PRESETS",
    "client_address",
    "forwarded_hops",
    "parse_networks",
    "proxied",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PRESETS = {"chatgpt": Path(__file__).resolve().parent / "data" / "chatgpt_egress.json"}
# What a reverse proxy adds to the requests it passes on (nginx, Caddy, Traefik, RFC 7239).
PROXY_HEADERS = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-real-ip"}
)


@cache
def _preset(name: str) -> tuple[Network, ...]:
    data = json.loads(PRESETS[name].read_text())
    return tuple(ipaddress.ip_network(prefix) for prefix in data["prefixes"])


def parse_networks(items: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or bare addresses) and preset names; ValueError names the first bad item."""
    networks: list[Network] = []
    for item in items:
        if item.lower() in PRESETS:
            networks.extend(_preset(item.lower()))
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{item!r} is not a CIDR like 203.0.113.0/24 or a preset ({', '.join(PRESETS)})"
            ) from None
    return tuple(networks)


def forwarded_hops(scope: Scope, hops: int, proxies: tuple[Network, ...]) -> int:
    """``hops``, or 0 when ``proxies`` are set and the TCP peer is not one of them.

    Then a client that reaches the app directly cannot forge ``X-Forwarded-*``: its headers
    are ignored and its own address and Host are used.
    """
    if not hops or not proxies:
        return hops
    peer = _peer(scope)
    return hops if peer is not None and any(peer in network for network in proxies) else 0


def _peer(scope: Scope) -> IPAddress | None:
    client = scope.get("client")
    try:
        return ipaddress.ip_address(client[0]) if client else None
    except ValueError:
        return None


def client_address(scope: Scope, trusted_hops: int) -> IPAddress | None:
    """The caller's address after the trusted proxies, or None if it cannot be known."""
    if not trusted_hops:
        return _peer(scope)
    forwarded = header(scope, b"x-forwarded-for")
    if forwarded is None:
        return None
    values = [value.strip() for value in forwarded.split(",")]
    if len(values) < trusted_hops:
        return None
    try:
        return ipaddress.ip_address(values[-trusted_hops])
    except ValueError:
        return None


def proxied(scope: Scope) -> bool:
    """True if the request carries a header a reverse proxy adds: a proxy may stand in front."""
    return any(key in PROXY_HEADERS for key, _ in scope["headers"])
