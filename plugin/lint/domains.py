"""ChatGPT's root-domain rules, from the plugin documentation.

The root domain is the host that served the manifest without a leading ``www.``. ``api.url``
must be on it or a subdomain; ``legal_info_url`` and ``contact_email`` must share its
second-level domain (taken here as the last two labels; no public-suffix list, so
``example.co.uk`` hosts compare by ``co.uk``, which only makes the rule more lenient).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["host_of", "is_local", "on_root_domain", "root_domain", "same_second_level"]


def host_of(url: str) -> str:
    """The lower-case host of ``url`` ("" when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def root_domain(url: str) -> str:
    host = host_of(url)
    return host[4:] if host.startswith("www.") else host


def is_local(host: str) -> bool:
    """Loopback hosts, where ChatGPT accepts plain HTTP and calls from the browser."""
    if host in ("localhost", "::1") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def on_root_domain(host: str, root: str) -> bool:
    return host == root or host.endswith("." + root)


def _second_level(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def same_second_level(host: str, root: str) -> bool:
    return _second_level(host) == _second_level(root)
