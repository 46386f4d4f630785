"""Quart's per-request machinery, made cheaper through the seams Quart offers for it.

Quart's ``ASGIHTTPConnection`` runs every request as two new tasks, the handler and a receiver
feeding the body, joined with ``asyncio.wait`` and the loser cancelled, and then sends the
answer inside ``asyncio.wait_for``, a third task (``RESPONSE_TIMEOUT``). Installed as the app's
``asgi_http_class``, :class:`InTaskHTTPConnection` does the same work in the task Hypercorn
already gave the request; with :class:`RoutedRequest` as ``request_class`` it served about 5%
more ``GET /todos`` per second than Quart's own classes (interleaved wrk rounds, same build):

- the body is read before dispatch, up to ``MAX_CONTENT_LENGTH`` (a larger one is refused 413
  by Quart as before, without reading the rest); the edge's ``PLUGIN_BODY_TIMEOUT`` bounds the
  wait (edge.py);
- the answer is sent under ``asyncio.timeout`` (no task), and a buffered body goes out in one
  message instead of Quart's body-then-empty-end pair.

What is given up: Quart cancelled a handler when the client disconnected. Here a handler runs to
its end, as under WSGI servers: a write it started is finished and acknowledged to nobody,
never half done. The routes that stream for long (MCP, the proxy) are not Quart's and are
unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Quart
from quart.asgi import ASGIHTTPConnection, _handle_exception
from quart.utils import encode_headers
from quart.wrappers import Request, Response
from quart.wrappers.response import DataBody
from werkzeug.routing import Rule

__all__ = ["LeanQuart"]

MAX_MADE_ASYNC = 1024  # functions remembered; Quart passes only hooks, views and bound methods


class RoutedRequest(Request):
    """A request whose ``blueprints`` is worked out once per matched rule.

    Quart reads it three to five times a request (before-request, after-request and teardown
    functions, error handlers), and each read splits the endpoint's name again."""

    _blueprints_of: tuple[Rule | None, list[str]] | None = None

    @property
    def blueprints(self) -> list[str]:
        known = self._blueprints_of
        if known is None or known[0] is not self.url_rule:
            known = self._blueprints_of = (self.url_rule, super().blueprints)
        return known[1]


class InTaskHTTPConnection(ASGIHTTPConnection):
    async def __call__(self, receive: Any, send: Any) -> None:
        request = self._create_request_from_scope(send)
        body = request.body
        while True:  # a request without a body is one empty message
            message = await receive()
            if message["type"] != "http.request":  # the client is gone
                return
            body.append(message.get("body", b""))
            if not message.get("more_body", False) or body._must_raise is not None:
                break
        body.set_complete()
        try:
            response = await self.app.handle_request(request)
        except Exception as error:
            response = await _handle_exception(self.app, error)
        timeout = self.app.config["RESPONSE_TIMEOUT"]
        if isinstance(response, Response) and response.timeout is not Ellipsis:
            timeout = response.timeout
        try:
            async with asyncio.timeout(timeout):
                await self._send_response(send, response)
        except TimeoutError:
            pass

    async def _send_response(self, send: Any, response: Any) -> None:
        payload = response.response if isinstance(response, Response) else None
        if not isinstance(payload, DataBody):
            await super()._send_response(send, response)
            return
        headers = encode_headers(response.headers)
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send(
            {"type": "http.response.body", "body": payload.data[payload.begin : payload.end]}
        )


class LeanQuart(Quart):
    """Quart with the classes above, and ``ensure_async`` answered from a cache.

    Quart calls ``ensure_async`` for every hook and view of every request, and each call asks
    ``inspect`` again whether the function is a coroutine function (about 1 us each)."""

    asgi_http_class = InTaskHTTPConnection
    request_class = RoutedRequest

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made_async: dict[Callable[..., Any], Callable[..., Awaitable[Any]]] = {}

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        made = self._made_async.get(func)
        if made is None:
            if len(self._made_async) >= MAX_MADE_ASYNC:
                self._made_async.clear()
            made = self._made_async[func] = super().ensure_async(func)
        return made
