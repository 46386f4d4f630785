"""The outermost ASGI layer: what every answer gets, in one pass over the request.

Every request, whatever answers it (the plugin files, MCP, the API, a refusal), gets:

- CORS (cors.py decides): ``Vary: Origin`` and the allowed origin on every answer, refusals
  included (so a page can read why it was refused), and preflights answered here, before the
  network allowlist and the HTTPS redirect (a preflight carries no credential and gets no data);
- its access line and a place in the console's recent calls (access_log.py);
- ``Connection: close`` on an answer sent before the request's body was all received. An API
  answers many requests without reading their bodies: a 401 from auth, a 404 or 405 from
  routing, a 405 from the plugin files. Hypercorn then closes the HTTP/1.1 connection, since
  the request is not over, but without saying so, and a client that reuses the connection
  (browsers, httpx, requests) sees its next request fail with "server disconnected": measured
  with httpx, about one sequence in eight of such answers broke the request after it;
- a deadline for its body (``PLUGIN_BODY_TIMEOUT``): a body still incomplete then is answered
  408 and the app sees the client gone. Quart has its own (``BODY_TIMEOUT``), but it waits for
  the body in ``asyncio.wait_for``, a task per request, which cost about a tenth of a POST's
  CPU time (bench/run.py); and ``/mcp`` and the proxy read their bodies outside Quart. Here
  each wait for more of the body is watched by one sweeper (deadlines.py), no task or
  timer per request;
- a 400 if it carries more than one credential header (``Authorization`` twice, or beside the
  ``PLUGIN_API_KEY_HEADER``): which one names the caller would otherwise be up to whichever
  reader looks first (RFC 6750 section 3.1, ``invalid_request``).

They were three layers, each scanning the headers and wrapping ``send``; as one they cost a
single scan and a single wrapper (measured with bench/run.py on the cached manifest).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import MutableMapping
from typing import Any

from .access_log import AccessLog
from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .cors import VARY, CORSPolicy
from .deadlines import MAX_LATE_SECONDS, Deadlines

__all__ = ["EdgeMiddleware"]

CLOSE = (b"connection", b"close")
NO_ORIGIN = [VARY]
GONE: MutableMapping[str, Any] = {"type": "http.disconnect"}


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        cors: CORSPolicy,
        access: AccessLog,
        body_timeout: float,
        api_key_header: str = "",
    ) -> None:
        self._app = app
        self._key_header = api_key_header.lower().encode() or b"authorization"
        self._cors = cors
        self._access = access
        self._body_timeout = body_timeout
        # The 408 comes up to a quarter of the timeout late, at most a second.
        self._deadlines = Deadlines(min(MAX_LATE_SECONDS, body_timeout / 4))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        origin = request_method = request_headers = private_network = None
        body_coming = False
        credentials = 0
        key_header = self._key_header
        for key, value in scope["headers"]:
            if key == b"origin":
                origin = value
            elif key == b"content-length":
                body_coming = body_coming or value.strip() != b"0"
            elif key == b"transfer-encoding":
                body_coming = True
            elif key == b"access-control-request-method":
                request_method = value
            elif key == b"access-control-request-headers":
                request_headers = value
            elif key == b"access-control-request-private-network":
                private_network = value
            elif key == b"authorization" or key == key_header:
                credentials += 1
        allowed = self._cors.allows(origin, scope["path"])
        status = 0
        timed_out = False

        async def send_and_track(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if timed_out:  # the 408 is the answer; the app's comes too late
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [VARY, (b"access-control-allow-origin", origin)] if allowed else NO_ORIGIN
                if body_coming:
                    extra = [*extra, CLOSE]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        app_receive = receive
        if body_coming:
            deadlines = self._deadlines
            deadline = asyncio.get_running_loop().time() + self._body_timeout

            async def receive_and_track() -> MutableMapping[str, Any]:
                nonlocal body_coming, timed_out
                if not body_coming:  # waiting for a disconnect: no deadline
                    return await receive()
                if timed_out:
                    return GONE
                try:
                    message = await deadlines.wait(receive, deadline)
                except TimeoutError:
                    if status == 0:  # nothing answered yet
                        await send_error(
                            send_and_track,
                            408,
                            "request_timeout",
                            "The request body did not arrive in time (PLUGIN_BODY_TIMEOUT).",
                        )
                    timed_out = True
                    return GONE
                body_coming = message["type"] == "http.request" and message.get("more_body", False)
                return message

            app_receive = receive_and_track
        try:
            if scope["method"] == "OPTIONS" and origin is not None and request_method is not None:
                status = await self._cors.preflight(
                    send, origin if allowed else None, request_headers, private_network
                )
            elif credentials > 1:
                await send_error(
                    send_and_track,
                    400,
                    "invalid_request",
                    "The request carries more than one credential header; send one.",
                )
            else:
                await self._app(scope, app_receive, send_and_track)
        finally:
            if self._access.enabled:
                self._access.record(scope, status, started)
