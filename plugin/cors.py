"""CORS for ChatGPT, as an ASGI layer so it also covers the plugin files served before Quart.

quart-cors only decorates Quart responses and has no private-network preflight, which Chrome
requires before a public page (chatgpt.com) may call a localhost plugin; so this is ours.
Origins match exactly, credentials are never allowed, and every answer carries ``Vary: Origin``
so a cache never hands one origin's headers to another.
"""

from __future__ import annotations

from collections.abc import Iterable

from .asgi import ASGIApp, Receive, Scope, Send, send_error, send_response

__all__ = ["CORSMiddleware"]

ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
MAX_AGE = b"600"
VARY = (b"vary", b"Origin")


class CORSMiddleware:
    def __init__(
        self, app: ASGIApp, origins: Iterable[str], excluded_prefixes: tuple[str, ...] = ()
    ) -> None:
        self._app = app
        self._origins = frozenset(origins)
        self._excluded = excluded_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        origin = request_method = request_headers = private_network = None
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value
            elif key == b"access-control-request-method":
                request_method = value
            elif key == b"access-control-request-headers":
                request_headers = value
            elif key == b"access-control-request-private-network":
                private_network = value
        excluded = scope["path"].startswith(self._excluded) if self._excluded else False
        allowed = origin is not None and not excluded and origin.decode("latin-1") in self._origins
        if scope["method"] == "OPTIONS" and origin is not None and request_method is not None:
            await self._preflight(
                send, origin if allowed else None, request_headers, private_network
            )
            return

        async def send_with_cors(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))  # type: ignore[call-overload]
                headers.append(VARY)
                if allowed:
                    headers.append((b"access-control-allow-origin", origin))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_cors)  # type: ignore[arg-type]

    @staticmethod
    async def _preflight(
        send: Send,
        origin: bytes | None,
        request_headers: bytes | None,
        private_network: bytes | None,
    ) -> None:
        if origin is None:
            await send_error(
                send,
                403,
                "cors_origin_not_allowed",
                "This origin may not call this server; add it to PLUGIN_CORS_ORIGINS.",
                [VARY],
            )
            return
        headers = [
            VARY,
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", ALLOW_METHODS),
            (b"access-control-max-age", MAX_AGE),
        ]
        if request_headers:
            headers.append((b"access-control-allow-headers", request_headers))
        if private_network is not None and private_network.lower() == b"true":
            headers.append((b"access-control-allow-private-network", b"true"))
        await send_response(send, 204, b"", b"text/plain", headers)
