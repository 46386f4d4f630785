"""Client addresses and network lists, shared by the allowlist and the rate limiter.

The client address is the TCP peer, unless ``PLUGIN_TRUSTED_PROXY_HOPS`` says that many proxies
stand in front: then it is the ``X-Forwarded-For`` entry the outermost trusted proxy appended,
read from the right as Werkzeug's ProxyFix does, so entries a client prepends change nothing.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .asgi import Scope, header

__all__ = ["IPAddress", "Network", "client_address", "parse_networks", "PRESETS"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PRESETS = {"chatgpt": Path(__file__).resolve().parent / "data" / "chatgpt_egress.json"}


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


def client_address(scope: Scope, trusted_hops: int) -> IPAddress | None:
    """The caller's address after the trusted proxies, or None if it cannot be known."""
    if trusted_hops:
        forwarded = header(scope, b"x-forwarded-for")
        if forwarded is None:
            return None
        values = [value.strip() for value in forwarded.split(",")]
        if len(values) < trusted_hops:
            return None
        raw = values[-trusted_hops]
    else:
        client = scope.get("client")
        if not client:
            return None
        raw = str(client[0])
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None
