"""``PLUGIN_REDIRECT_HTTP_PORT``: a plain-HTTP port that only sends people to HTTPS.

ChatGPT follows no redirect on API calls and, while fetching the manifest, only to a subdomain;
it never calls a non-localhost plugin over plain HTTP anyway. So the plain port redirects (308)
only what a browser asks for: GET or HEAD, no credentials, outside ``/.well-known/``. Everything
else (the manifest and the other ``/.well-known/`` files, any request with a body or an
``Authorization`` header) is refused with 403 ``https_required`` naming the HTTPS URL: a client
that got there by mistake sees why, instead of a redirect it will not follow or, worse, one that
trains it to send its credentials in the clear first.
"""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send, header, send_error, send_response
from .config import Settings
from .public_url import HOST

__all__ = ["with_https_redirect"]


def with_https_redirect(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` with its plain-HTTP requests redirected, when the redirect port is on."""
    if not settings.redirect_http_port:
        return app
    return HTTPSRedirectMiddleware(app, settings)


class HTTPSRedirectMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self._app = app
        self._settings = settings

    def _https_base(self, scope: Scope) -> str | None:
        if self._settings.base_url.startswith("https://"):
            return self._settings.base_url
        host = header(scope, b"host")
        if host is None or not HOST.fullmatch(host):
            return None
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        port = self._settings.port
        return f"https://{hostname}" + ("" if port == 443 else f":{port}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["scheme"] != "http":
            await self._app(scope, receive, send)
            return
        base = self._https_base(scope)
        if base is None:
            await send_error(send, 400, "unknown_host", "Use this server's HTTPS address.")
            return
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        target = base + path + (f"?{query}" if query else "")
        browser_request = (
            scope["method"] in ("GET", "HEAD")
            and not path.startswith("/.well-known/")
            and header(scope, b"authorization") is None
        )
        if not browser_request:
            await send_error(
                send, 403, "https_required", f"This server answers over HTTPS only: {target}"
            )
            return
        await send_response(
            send, 308, b"", b"text/plain", [(b"location", target.encode("latin-1"))]
        )
