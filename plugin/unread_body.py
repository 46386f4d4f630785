"""``Connection: close`` on an answer sent before the request's body was all received.

An API answers many requests without reading their bodies: a 401 from auth, a 404 or 405 from
routing, a 405 from the plugin files. Hypercorn then closes the HTTP/1.1 connection, since the
request is not over, but without saying so, and a client that reuses the connection (browsers,
httpx, requests) sees its next request fail with "server disconnected": measured with httpx,
about one sequence in eight of such answers broke the request after it. Saying
``Connection: close`` in those answers makes every client open a new connection instead.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from .asgi import ASGIApp, Receive, Scope, Send

__all__ = ["UnreadBodyMiddleware"]

CLOSE = (b"connection", b"close")


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class UnreadBodyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self._app(scope, receive, send)
            return
        more = True

        async def receive_and_track() -> MutableMapping[str, Any]:
            nonlocal more
            message = await receive()
            more = message["type"] == "http.request" and message.get("more_body", False)
            return message

        async def send_with_close(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and more:
                message["headers"] = [*message.get("headers", ()), CLOSE]
            await send(message)

        await self._app(scope, receive_and_track, send_with_close)
