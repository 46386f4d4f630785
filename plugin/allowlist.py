"""``PLUGIN_ALLOWED_NETWORKS``: only callers from these networks reach the server.

An ASGI layer in front of everything, so a refused caller costs no routing, auth or database
work. The client address respects ``PLUGIN_TRUSTED_PROXY_HOPS``; behind a proxy a request that
did not come through it has no trusted ``X-Forwarded-For`` and is refused. Health checks are
never refused (load balancers probe from their own addresses and the answers reveal nothing);
the plugin files pass by default (ChatGPT may fetch them from elsewhere).

It fails closed: a caller outside the networks is refused, loopback included. Behind a proxy
on the same host that no ``PLUGIN_TRUSTED_PROXY_HOPS`` declares, every caller arrives from
loopback, so letting loopback in by default let everyone in. ``PLUGIN_ALLOWLIST_EXEMPT_LOOPBACK``
lets in callers on this host when the operator asks; even then a loopback request that carries
forwarded headers nobody trusts came through such a proxy and is refused, with one warning in
the log naming the setting to fix. A start-up check could not tell that proxy from a direct
deployment with local jobs, and a warning alone would still let everyone in.
"""

from __future__ import annotations

import logging

from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .config import Settings
from .health import HEALTH_PATHS
from .networks import client_address, forwarded_hops, parse_networks, proxied
from .plugin_files import is_plugin_file

__all__ = ["with_allowlist"]

logger = logging.getLogger(__name__)


def with_allowlist(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` behind the allowlist, or ``app`` itself when no networks are set."""
    if not settings.allowed_networks:
        return app
    return AllowlistMiddleware(app, settings)


class AllowlistMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self._app = app
        self._networks = parse_networks(settings.allowed_networks)
        self._hops = settings.trusted_proxy_hops
        self._proxies = settings.trusted_proxy_networks
        self._loopback = settings.allowlist_exempt_loopback
        self._plugin_files = settings.allowlist_exempt_plugin_files
        self._warned = False

    def _allowed(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path in HEALTH_PATHS or (self._plugin_files and is_plugin_file(path)):
            return True
        hops = forwarded_hops(scope, self._hops, self._proxies)
        address = client_address(scope, hops)
        if address is None:
            return False
        if any(address in network for network in self._networks):
            return True
        return self._loopback and address.is_loopback and (hops > 0 or not self._proxied(scope))

    def _proxied(self, scope: Scope) -> bool:
        """True if a loopback peer passed on a request for someone else, warned about once."""
        if not proxied(scope):
            return False
        if not self._warned:
            self._warned = True
            logger.warning(
                "refused a loopback caller with forwarded headers: a proxy on this host stands "
                "in front, so loopback is everyone; set PLUGIN_TRUSTED_PROXY_HOPS (and "
                "PLUGIN_TRUSTED_PROXIES) to the proxies in front"
            )
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(scope):
            await self._app(scope, receive, send)
            return
        await send_error(
            send,
            403,
            "forbidden_network",
            "This server only answers callers from the networks in PLUGIN_ALLOWED_NETWORKS.",
        )
