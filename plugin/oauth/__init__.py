"""The OAuth 2.0 authorization server that ``oauth`` mode names in the manifest, and that
``user_http`` mode runs beside its keys for the MCP clients that only sign in with OAuth.

One module per RFC it speaks: ``rfc6749_authorize`` (the sign-in page), ``rfc6749_token``,
``rfc6749_errors``, ``rfc7636`` (PKCE), ``rfc7009`` (revocation), ``rfc8414`` (metadata); the
decisions themselves live in ``server``, apart from HTTP. With MCP on, it is also ``/mcp``'s
authorization server: ``rfc9728`` (protected resource metadata), ``rfc7591`` (dynamic client
registration), ``rfc8707`` (token audiences); RFC 9207's ``iss`` is in ``rfc6749_authorize``.
"""

from __future__ import annotations

from collections.abc import Callable

from quart import Quart

from ..auth import Clock
from ..config import Settings
from ..storage import Store
from . import rfc6749_authorize, rfc6749_token, rfc7009, rfc7591, rfc8414, rfc8707, rfc9728
from .server import EXTENSION, AuthorizationServer

__all__ = ["AuthorizationServer", "OAUTH_PAGE_PREFIXES", "install_oauth"]

# Paths a browser navigates to, which no other origin may read (excluded from CORS).
OAUTH_PAGE_PREFIXES = ("/oauth/authorize",)


def install_oauth(app: Quart, settings: Settings, store: Callable[[], Store], clock: Clock) -> None:
    """Serve the authorization server's endpoints in ``oauth`` mode, and in ``user_http`` mode
    unless ``PLUGIN_USER_HTTP_OAUTH=off``; the API then refuses tokens for other resources."""
    if not settings.authorization_server:
        return
    app.extensions[EXTENSION] = AuthorizationServer(settings, store, clock)
    rfc8707.refuse_other_audiences(app, settings)
    for module in (rfc6749_authorize, rfc6749_token, rfc7009, rfc8414):
        app.register_blueprint(module.blueprint)
    if settings.mcp:
        for mcp_module in (rfc9728, rfc7591):
            app.register_blueprint(mcp_module.blueprint)
