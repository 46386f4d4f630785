"""``PLUGIN_ALLOWED_NETWORKS``: only callers from these networks reach the server.

An ASGI layer in front of everything, so a refused caller costs no routing, auth or database
work. The client address respects ``PLUGIN_TRUSTED_PROXY_HOPS``; behind a proxy a request that
did not come through it has no trusted ``X-Forwarded-For`` and is refused. Health checks are
never refused (load balancers probe from their own addresses and the answers reveal nothing);
loopback and the plugin files can be let through by setting.
"""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .config import Settings
from .health import HEALTH_PATHS
from .networks import client_address, forwarded_hops, parse_networks
from .plugin_files import is_plugin_file

__all__ = ["with_allowlist"]


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

    def _allowed(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path in HEALTH_PATHS or (self._plugin_files and is_plugin_file(path)):
            return True
        address = client_address(scope, forwarded_hops(scope, self._hops, self._proxies))
        if address is None:
            return False
        if self._loopback and address.is_loopback:
            return True
        return any(address in network for network in self._networks)

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
