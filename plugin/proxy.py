"""Local proxy mode: the plugin files served here, every other request forwarded upstream.

Editing a manifest deployed on a remote server is slow; with ``PLUGIN_UPSTREAM`` set the
developer installs ``http://localhost:PORT`` in ChatGPT, edits ``manifest.json`` and
``openapi.yaml`` live, and the API calls still reach the real API. This layer sits inside the
plugin-files and CORS layers, so those answer first and CORS is added to upstream answers too.

Bodies stream both ways (nothing is buffered, so a large upload or download costs no memory),
connections to the upstream are pooled, and an upstream that is down, too slow or not speaking
HTTP becomes a 502 or 504 in the error envelope instead of a hung or dropped request. An
upstream that breaks off mid-answer, when the status line is already sent, leaves the client's
answer unfinished too (no last chunk, fewer bytes than its Content-Length): a clean end would
pass truncated JSON off as the whole answer.

Only a path (origin-form, RFC 9112 section 3.2.1) is forwarded, and always to the configured
upstream: a request target such as ``@other-host/x`` or ``http://other-host/x``, put after the
upstream's address, would otherwise name another server (a request forgery), so it is a 400.
Credentials in the upstream's URL go in an ``Authorization`` header of their own, never into
a URL that an error could show, and are sent only when the client sends none.

The client is aiohttp: httpx's async pool measured ten times slower under 32 concurrent
requests here (its known issue encode/httpx#3215), and a proxy is all client.

``PLUGIN_UPSTREAM_TIMEOUT`` is timed here, by timers that end with the call, and not by aiohttp's
``sock_read``: that timer lives on the pooled connection, and aiohttp 3.14 re-arms it after an
answer's end was parsed while reading was paused for backpressure (a large answer), when the
connection is already back in the pool. It then fired while the connection sat idle, and the
next call given that connection failed at once with 504. aio-libs/aiohttp#12953 fixed the
case where reading was never paused, not this one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import yarl
from multidict import CIMultiDict
from quart import Quart

from .asgi import ASGIApp, Receive, Scope, Send, send_error
from .config import Settings
from .errors import BadRequest
from .log_output import printable

__all__ = ["UpstreamProxy", "install_proxy"]

logger = logging.getLogger(__name__)

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
CORS_PREFIX = b"access-control-"  # the local CORS layer owns these; two copies break browsers
OWN_HEADERS = frozenset({b"date", b"server"})  # Hypercorn adds its own to every answer


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Headers the sender listed in ``Connection``, which are hop-by-hop too."""
    named = [
        token.strip().lower()
        for key, value in headers
        if key.lower() == b"connection"
        for token in value.split(b",")
    ]
    return HOP_BY_HOP | frozenset(named)


def _request_headers(scope: Scope, authorization: str | None) -> CIMultiDict[str]:
    headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    dropped = _connection_tokens(headers) | {b"host"}
    kept = CIMultiDict(
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, value in headers
        if key.lower() not in dropped
    )
    client = scope.get("client")
    if client:
        kept.add("X-Forwarded-For", str(client[0]))
    if authorization is not None and "Authorization" not in kept:
        kept.add("Authorization", authorization)
    kept.add("X-Forwarded-Proto", str(scope.get("scheme", "http")))
    for key, value in headers:
        if key == b"host":
            kept.add("X-Forwarded-Host", value.decode("latin-1"))
    return kept


async def _request_body(receive: Receive, sent: Callable[[], None]) -> AsyncIterator[bytes]:
    """The client's body as it arrives; calls ``sent`` once it has all gone upstream."""
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
    finally:
        sent()


def _described(error: Exception) -> str:
    """An aiohttp error for the log: its ``repr`` holds the request's headers, credentials and
    all; its text names the upstream's origin only."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _response_headers(raw: tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    dropped = _connection_tokens(list(raw)) | OWN_HEADERS
    return [
        (key.lower(), value)
        for key, value in raw
        if key.lower() not in dropped and not key.lower().startswith(CORS_PREFIX)
    ]


class UpstreamProxy:
    """An ASGI app that forwards each HTTP request to one upstream base URL."""

    def __init__(self, settings: Settings) -> None:
        upstream = yarl.URL(settings.upstream)
        self._origin = upstream.origin()  # scheme, host and port; no userinfo
        self._prefix = upstream.raw_path.rstrip("/")
        credentials = aiohttp.BasicAuth.from_url(upstream)
        self._authorization = credentials.encode() if credentials is not None else None
        self._shown = settings.upstream_shown
        self._timeout = settings.upstream_timeout
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200, ttl_dns_cache=60),
            # No sock_read: _answer and _read time the upstream (see the module docstring).
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._timeout),
            auto_decompress=False,  # bytes relayed as sent, Content-Encoding and all
            trust_env=False,  # an HTTP_PROXY in the developer's shell must not reroute it
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent"),  # the client's own
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _url(self, path: bytes, query: bytes) -> yarl.URL:
        """The upstream's own origin with the client's path and query, exactly as sent."""
        return yarl.URL.build(
            scheme=self._origin.scheme,
            authority=self._origin.raw_authority,
            path=self._prefix + path.decode("latin-1"),
            query_string=query.decode("latin-1"),
            encoded=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = bytes(scope.get("raw_path") or scope["path"].encode())
        if not path.startswith(b"/"):
            await send_error(
                send,
                BadRequest.status_code,
                BadRequest.error,
                "The request target must be a path starting with / (RFC 9112 section 3.2.1).",
            )
            return
        started = time.perf_counter()
        method: str = scope["method"]
        status = 0
        failure = ""

        # Without Content-Length or Transfer-Encoding the request has no body (RFC 9112 6.3);
        # streaming an empty one would turn every GET into a chunked upload.
        has_body = any(
            key in (b"content-length", b"transfer-encoding") for key, _ in scope["headers"]
        )
        try:
            response = await self._answer(
                method,
                self._url(path, bytes(scope.get("query_string", b""))),
                _request_headers(scope, self._authorization),
                receive if has_body else None,
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            status, code, description = self._failure(error)
            failure = f"{code}: {_described(error)}"
            await send_error(send, status, code, description)
        else:
            status = response.status
            failure = await self._relay(response, send)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            note = f" ({failure})" if failure else ""
            shown = printable(scope["path"])  # the client's, whichever handler writes it
            logger.info("%s %s -> %d in %.0f ms%s", method, shown, status, elapsed, note)

    async def _answer(
        self,
        method: str,
        url: yarl.URL,
        headers: CIMultiDict[str],
        receive: Receive | None,
    ) -> aiohttp.ClientResponse:
        """The upstream's status and headers, due within the timeout once the request is out.

        The clock starts after the client's body has all gone: a client slow to send it is
        PLUGIN_BODY_TIMEOUT's business, not the upstream's.
        """
        if self._session is None:
            raise RuntimeError("the proxy's connection pool opens when the app starts serving")
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as due:
            waiting = True

            def sent() -> None:
                if waiting:  # an upstream may answer before the body has all gone
                    due.reschedule(loop.time() + self._timeout)

            if receive is None:
                sent()
            try:
                return await self._session.request(
                    method,
                    url,
                    headers=headers,
                    data=None if receive is None else _request_body(receive, sent),
                    allow_redirects=False,
                )
            finally:
                waiting = False

    async def _read(self, content: aiohttp.StreamReader) -> bytes:
        """The next piece of the answer (b"" at its end), due within the timeout."""
        chunk = content.read_nowait()  # what has come already needs no timer
        if chunk or content.at_eof():
            return chunk
        async with asyncio.timeout(self._timeout):
            return await content.readany()

    def _failure(self, error: Exception) -> tuple[int, str, str]:
        """The status, code and description the client gets when no answer came."""
        if isinstance(error, TimeoutError):
            return (
                504,
                "upstream_timeout",
                f"The upstream {self._shown} did not answer within {self._timeout:g} seconds "
                "(PLUGIN_UPSTREAM_TIMEOUT).",
            )
        if isinstance(error, aiohttp.ClientConnectorError):
            return (
                502,
                "upstream_unreachable",
                f"The upstream {self._shown} cannot be reached; is it running?",
            )
        return (
            502,
            "bad_upstream_response",
            f"The upstream {self._shown} did not answer with valid HTTP.",
        )

    async def _relay(self, response: aiohttp.ClientResponse, send: Send) -> str:
        """Stream the answer back; returns what went wrong if the upstream broke off."""
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": _response_headers(response.raw_headers),
                }
            )
            while chunk := await self._read(response.content):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return ""
        except (aiohttp.ClientError, TimeoutError) as error:
            # The status line is gone already. Returning without the last body message makes
            # Hypercorn close the connection with the answer unfinished, which the client sees.
            return f"upstream broke off: {_described(error)}"
        finally:
            response.release()


class LocalOrUpstream:
    """Sends the app's lifespan and its local pages to the app, every other request upstream."""

    def __init__(self, app: ASGIApp, proxy: UpstreamProxy, local: Callable[[str], bool]) -> None:
        self._app = app
        self._proxy = proxy
        self._local = local

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._local(scope["path"]):
            await self._proxy(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def install_proxy(app: Quart, settings: Settings, local: Callable[[str], bool]) -> None:
    """In proxy mode, forward every request whose path is not ``local`` to the upstream."""
    if not settings.upstream:
        return
    proxy = UpstreamProxy(settings)
    app.before_serving(proxy.open)
    app.after_serving(proxy.close)
    inner: Any = app.asgi_app
    app.asgi_app = LocalOrUpstream(inner, proxy, local)  # type: ignore[method-assign,assignment]
