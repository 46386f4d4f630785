"""Quart's per-request machinery, made cheaper through the seams Quart offers for it.

Quart's ``ASGIHTTPConnection`` runs every request as two new tasks, the handler and a receiver
feeding the body, joined with ``asyncio.wait`` and the loser cancelled, and then sends the
answer inside ``asyncio.wait_for``, a third task (``RESPONSE_TIMEOUT``). Installed as the app's
``asgi_http_class``, :class:`InTaskHTTPConnection` does the same work in the task the server
already gave the request; with :class:`RoutedRequest` as ``request_class`` it served about 5%
more ``GET /todos`` per second than Quart's own classes (interleaved wrk rounds, same build):

- the body is read before dispatch, up to ``MAX_CONTENT_LENGTH`` (a larger one is refused 413
  by Quart as before, without reading the rest); the edge's ``PLUGIN_BODY_TIMEOUT`` bounds the
  wait (edge.py);
- the answer is sent under ``RESPONSE_TIMEOUT`` kept by one sweeper (deadlines.py; no task or
  timer per request, the deadline met up to a second late), and a buffered body goes out in one
  message instead of Quart's body-then-empty-end pair;
- the request's headers are taken from the scope in one piece (:class:`ScopeHeaders`), and the
  URL adapter is made without working out the server name again (``LeanQuart``) and answers
  a path and method it matched before from memory (:class:`RememberingAdapter`), which also
  spares every request the reference cycle Werkzeug's matcher leaves.

Judged again with fast servers (bench/README.md, "The speed layer judged again"): the whole of
it switched off cost about 30% more CPU per ``GET /todos`` on uvicorn and 10-15% on Hypercorn;
the in-task connection alone 19% and 7%, each of the other four parts 1-5% (their sum about
14% on uvicorn), so it is judged as the one piece it is. It leans on
Quart's and Werkzeug's internals (``_create_request_from_scope``, ``_send_response``,
``_handle_exception``, ``DataBody``, ``Headers._list``, ``MapAdapter``), hence Quart and
Werkzeug are pinned exactly in requirements/run.txt, and tests/test_lean_quart.py runs every
check on ``LeanQuart`` and on Quart's own class.

What is given up: Quart cancelled a handler when the client disconnected. Here a handler runs to
its end, on every server, as under WSGI servers: a write it started is finished and acknowledged
to nobody, never half done. The routes that stream for long (MCP, the proxy) are not Quart's
and are unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from quart import Quart
from quart.asgi import ASGIHTTPConnection, _handle_exception
from quart.utils import encode_headers
from quart.wrappers import BaseRequestWebsocket, Request, Response
from quart.wrappers.response import DataBody
from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadHost, HTTPException
from werkzeug.routing import Map, MapAdapter, Rule

from .deadlines import MAX_LATE_SECONDS, Deadlines
from .errors import http_error_response

__all__ = ["LeanQuart", "RememberingAdapter", "scope_headers"]

MAX_MADE_ASYNC = 1024  # functions remembered; Quart passes only hooks, views and bound methods
MAX_SERVER_NAMES = 64  # Host headers remembered; a client chooses them
MAX_MATCHES = 4096  # paths and methods remembered per URL map; a client chooses them too
MAX_REMEMBERED_PATH = 512  # characters; a longer path is matched afresh, so the memory stays small

Matches = dict[tuple[str, str], tuple[Rule, dict[str, Any]]]


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


class ScopeHeaders(Headers):
    """Request headers whose ``get`` of a missing name returns the default without raising.

    Werkzeug's ``get`` looks the name up through ``__getitem__``, which raises
    ``BadRequestKeyError`` (an ``HTTPException``, 1.6 us to make) for the caller to catch; Quart
    asks for a missing ``Transfer-Encoding`` twice a request, and auth and the rate limiter ask
    for headers most requests do not carry."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002
        if type is not None or not isinstance(key, str):
            return super().get(key, default, type)
        wanted = key.lower()
        for name, value in self._list:
            if name.lower() == wanted:
                return value
        return default


def scope_headers(scope: Mapping[str, Any]) -> ScopeHeaders:
    """An ASGI scope's request headers as Werkzeug's ``Headers``, taken in one piece.

    ``Headers(pairs)`` adds them one by one, each checked again for newlines; the server has
    parsed and checked them already (h11, httptools and granian refuse CR or LF in a header)."""
    headers = ScopeHeaders()
    headers._list = [(k.decode("latin1").title(), v.decode("latin1")) for k, v in scope["headers"]]
    return headers


class InTaskHTTPConnection(ASGIHTTPConnection):
    app: LeanQuart

    def _create_request_from_scope(self, send: Any) -> Request:
        """Quart's request, its headers taken from the scope as they are (:func:`scope_headers`)."""
        scope = self.scope
        if scope["http_version"] < "1.1" or scope["path"][:1] != "/" or scope.get("root_path"):
            return super()._create_request_from_scope(send)  # Quart's fixes for these
        headers = scope_headers(scope)
        client = scope.get("client")
        headers._list.insert(0, ("Remote-Addr", client[0] if client else "<local>"))
        config = self.app.config
        return self.app.request_class(
            scope["method"],
            scope["scheme"],
            scope["path"],
            scope["query_string"],
            headers,
            "",
            scope["http_version"],
            max_content_length=config["MAX_CONTENT_LENGTH"],
            body_timeout=config["BODY_TIMEOUT"],
            send_push_promise=partial(self._send_push_promise, send),
            scope=scope,
        )

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
            await self._answer(request, send)
        finally:
            # A 404's or 405's exception, which Quart keeps on the request, holds through its
            # traceback the context that holds the request: a cycle of the whole request (about
            # 70 objects) that only the cyclic collector frees. Nothing reads it once answered.
            request.routing_exception = None

    async def _answer(self, request: Request, send: Any) -> None:
        """Quart's answer to ``request``, sent under ``RESPONSE_TIMEOUT``."""
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


class RememberingAdapter(MapAdapter):
    """A URL adapter that answers Quart's match from what the same path and method matched
    before in the same map.

    Werkzeug's matcher defines a recursive closure on every call, a reference cycle that only
    the cyclic collector frees: every request left its cells and function behind, so the next
    requests allocated fresh memory instead of reusing what the last one freed. Remembering
    the match skips the matcher, and a request leaves no cycle behind. Only a match is
    remembered (a 404, 405 or redirect is worked out again each time), per map: a map is never
    changed once serving, the router builds a new one (operations/routes.py). A path past
    ``MAX_REMEMBERED_PATH`` is not remembered: the memory stays under a few megabytes whatever
    paths clients send."""

    def __init__(self, matches: Matches, *args: Any) -> None:
        super().__init__(*args)
        self._matches = matches

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Any = None,
        websocket: bool | None = None,
    ) -> tuple[Any, Mapping[str, Any]]:
        """As Werkzeug's; the call Quart makes for a request is remembered."""
        asked = (path_info, method, query_args, websocket)
        long_path = len(self.path_info) > MAX_REMEMBERED_PATH
        if not return_rule or asked != (None, None, None, None) or self.websocket or long_path:
            werkzeugs: Any = super().match
            return werkzeugs(path_info, method, return_rule, query_args, websocket)  # type: ignore[no-any-return]
        key = (self.path_info, self.default_method)
        known = self._matches.get(key)
        if known is None:
            rule, values = super().match(return_rule=True)
            if len(self._matches) >= MAX_MATCHES:
                self._matches.clear()
            known = self._matches[key] = (rule, dict(values))
        return known[0], dict(known[1])  # a view may change its own arguments


class LeanQuart(Quart):
    """Quart with the classes above, its URL adapter made without Quart's detours, and
    ``ensure_async`` answered from a cache.

    Quart calls ``ensure_async`` for every hook and view of every request, and each call asks
    ``inspect`` again whether the function is a coroutine function (about 1 us each)."""

    asgi_http_class = InTaskHTTPConnection
    request_class = RoutedRequest

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made_async: dict[Callable[..., Any], Callable[..., Awaitable[Any]]] = {}
        self._server_names: dict[str, str] = {}
        self.send_deadlines = Deadlines(MAX_LATE_SECONDS)
        self._matches_of: Map | None = None
        self._matches: Matches = {}

    def create_url_adapter(self, request: BaseRequestWebsocket | None) -> MapAdapter | None:
        """The adapter Quart would bind, without working out the request's server name again.

        Without ``SERVER_NAME``, subdomain or host matching (this app sets none of them) Quart
        compares the request's host with itself to find an empty subdomain, and Werkzeug
        IDNA-encodes it, on every request; here the encoded name is remembered per host."""
        url_map = self.url_map
        if (
            request is None
            or self.config["SERVER_NAME"] is not None
            or self.subdomain_matching
            or url_map.host_matching
        ):
            return super().create_url_adapter(request)
        host = request.host
        server_name = self._server_names.get(host)
        if server_name is None:
            server_name = _server_name(host)
            if len(self._server_names) >= MAX_SERVER_NAMES:
                self._server_names.clear()
            self._server_names[host] = server_name
        if self._matches_of is not url_map:  # the router swapped in a new map
            self._matches_of, self._matches = url_map, {}
        return RememberingAdapter(
            self._matches,
            url_map,
            server_name,
            request.root_path,
            "",
            request.scheme,
            request.path,
            request.method,
            request.query_string.decode(),
        )

    def ensure_async(self, func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        made = self._made_async.get(func)
        if made is None:
            if len(self._made_async) >= MAX_MADE_ASYNC:
                self._made_async.clear()
            made = self._made_async[func] = super().ensure_async(func)
        return made


def _server_name(host: str) -> str:
    """What ``Map.bind`` makes of ``request.host``, which has no default port already."""
    name, separator, port = host.lower().partition(":")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise BadHost() from error
    return f"{name}{separator}{port}"
