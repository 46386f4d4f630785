"""Only a Host this server knows itself by reaches the API and the console (DNS rebinding).

A page on ``rebind.attacker.example`` whose name the attacker then points at 127.0.0.1 makes
the visitor's browser a client of a server on their localhost, with the page's own origin: no
CORS rule stops it, and the answers are same-origin to the page. The Host header still names
the attacker's domain. So every route refuses a Host the public base URL cannot be derived from
(public_url.py), the rule ``/mcp`` and the plugin files already follow. Health checks are exempt:
load balancers probe by address. With ``PLUGIN_PUBLIC_URL`` set the Host is never read, and this
layer is not installed.
"""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .config import Settings
from .health import HEALTH_PATHS
from .public_url import public_base_url

__all__ = ["send_unknown_host", "with_host_check"]


async def send_unknown_host(send: Send) -> None:
    """The one answer to a request for a host this server cannot name itself by."""
    await send_error(
        send,
        400,
        "unknown_host",
        "This server only derives its public URL for localhost. Set PLUGIN_PUBLIC_URL "
        "to the URL users reach it at, or PLUGIN_TRUSTED_PROXY_HOPS behind a proxy.",
    )


def with_host_check(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` answering only for the hosts :func:`public_base_url` accepts."""
    if settings.base_url:
        return app

    async def host_checked(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in HEALTH_PATHS
            or public_base_url(settings, scope) is not None
        ):
            await app(scope, receive, send)
        else:
            await send_unknown_host(send)

    return host_checked
