"""Resource indicators (RFC 8707): which audience a token is for.

This server protects two resources: its MCP endpoint (``<base>/mcp``, what MCP clients such as
ChatGPT connectors and Claude name) and its HTTP API (``<base>``). A ``resource`` naming either
(a trailing slash aside) binds the grant's tokens to it; any other is ``invalid_target``
(section 2). Without ``resource`` a token has no audience: the plugin flow, which never sends
one, gets tokens for the API exactly as before, and ``/mcp`` refuses them (it only accepts
tokens minted for it, as the MCP authorization spec requires).

The API takes a token without an audience, or one for this server's API or its MCP endpoint
(a tool call is an API call made with the MCP client's token); a token minted for this server
under another name (before ``PLUGIN_PUBLIC_URL`` changed, or ``localhost`` for ``127.0.0.1``)
is refused like any other audience's.
"""

from __future__ import annotations

from quart import Quart, g

from ..config import Settings
from ..errors import Unauthorized
from ..mcp import MCP_PATH
from .params import request_base_url
from .rfc6749_errors import OAuthError

__all__ = ["InvalidTarget", "mcp_resource", "refuse_other_audiences", "resource_indicator"]


class InvalidTarget(OAuthError):
    error = "invalid_target"


def mcp_resource(base_url: str) -> str:
    """The MCP endpoint's resource identifier, the audience ``/mcp`` accepts."""
    return base_url + MCP_PATH


def resource_indicator(base_url: str | None, requested: str | None) -> str | None:
    """The canonical audience for ``requested`` (None when none was asked for)."""
    if requested is None:
        return None
    if base_url is None:
        raise InvalidTarget("This server cannot name its own URL; set PLUGIN_PUBLIC_URL.")
    if "#" in requested or "?" in requested:
        raise InvalidTarget("The resource must be an absolute URI without query or fragment.")
    canonical = requested.removesuffix("/")
    if canonical not in (base_url, mcp_resource(base_url)):
        raise InvalidTarget(f"Unknown resource; this server is {mcp_resource(base_url)}.")
    return canonical


def refuse_other_audiences(app: Quart, settings: Settings) -> None:
    """After authentication, refuse an API call whose token was minted for another resource."""

    @app.before_request
    async def check_audience() -> None:
        identity = g.get("identity")
        if identity is None or identity.audience is None:
            return
        base_url = request_base_url(settings)
        if base_url is None or identity.audience not in (base_url, mcp_resource(base_url)):
            raise Unauthorized(
                "The access token was not issued for this server (its resource).",
                headers={
                    "WWW-Authenticate": 'Bearer realm="plugin", error="invalid_token", '
                    'error_description="The access token was not issued for this server"'
                },
            )
