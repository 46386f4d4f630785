"""Quart's request handling run in the task the server already gave the request.

Quart's ``ASGIHTTPConnection`` runs every request as two new tasks, the handler and a receiver
feeding the body, joined with ``asyncio.wait`` and the loser cancelled, and then sends the
answer inside ``asyncio.wait_for``, a third task (``RESPONSE_TIMEOUT``). Installed as the app's
``asgi_http_class``, :class:`InTaskHTTPConnection` does the same work in the request's own
task: the body is read before dispatch, up to ``MAX_CONTENT_LENGTH`` (a larger one is refused
413 by Quart as before, without reading the rest; the edge's ``PLUGIN_BODY_TIMEOUT`` bounds the
wait, edge.py), the answer is sent under ``RESPONSE_TIMEOUT`` kept by one sweeper (deadlines.py;
no task or timer per request, the deadline met up to a second late), and a buffered body goes
out in one message instead of Quart's body-then-empty-end pair.

Of the request path's former speed layer it is what stayed (bench/README.md, "The speed layer
judged again"): switched off, the app cost 19% more CPU per ``GET /todos`` on uvicorn and 7%
more on Hypercorn (9-13% and 4% per ``POST``); the request and header classes and the URL
adapter and ``ensure_async`` caches that were here paid 1-5% each and went. It leans on Quart's
internals (``_create_request_from_scope``, ``_send_response``, ``_handle_exception``,
``DataBody``), hence Quart (and Werkzeug) are pinned exactly in requirements/run.txt, and
tests/test_lean_quart.py runs its checks on Quart's own class too.

A handler is not cancelled when its client disconnects, on every server: it runs to its end, as
under WSGI servers, so a write it started is finished and acknowledged to nobody, never half
done. The routes that stream for long (MCP, the proxy) are not Quart's and are unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Quart
from quart.asgi import ASGIHTTPConnection, _handle_exception
from quart.utils import encode_headers
from quart.wrappers import Response
from quart.wrappers.response import DataBody
from werkzeug.exceptions import HTTPException

from .deadlines import MAX_LATE_SECONDS, Deadlines
from .errors import http_error_response

__all__ = ["InTaskHTTPConnection", "LeanQuart"]


class InTaskHTTPConnection(ASGIHTTPConnection):
    """Quart's HTTP connection, its body read, handler run and answer sent in one task."""

    app: LeanQuart

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
        except HTTPException as error:  # before Quart's context and handlers: a Host IDNA refuses
            response = http_error_response(error)
        except Exception as error:
            response = await _handle_exception(self.app, error)
        timeout = self.app.config["RESPONSE_TIMEOUT"]
        if isinstance(response, Response) and response.timeout is not Ellipsis:
            timeout = response.timeout
        if timeout is None:
            await self._send_response(send, response)
            return
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            await self.app.send_deadlines.wait(
                lambda: self._send_response(send, response), deadline
            )
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
    """Quart with :class:`InTaskHTTPConnection` as its HTTP connection."""

    asgi_http_class = InTaskHTTPConnection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.send_deadlines = Deadlines(MAX_LATE_SECONDS)
