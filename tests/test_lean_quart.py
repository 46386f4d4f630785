"""Quart's request handling run in the request's own task (plugin/lean_quart.py): every check
runs on LeanQuart and on Quart's own class, so the same answers come with and without it;
bodies in one piece, streams and ranges as before, the same headers and URL adapter, and an
answer nobody reads given up at its deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from quart import Quart, request
from quart.routing import QuartRule
from werkzeug.exceptions import BadHost

from plugin.deadlines import MAX_LATE_SECONDS
from plugin.lean_quart import MAX_REMEMBERED_PATH, InTaskHTTPConnection, LeanQuart

Message = dict[str, Any]


@pytest.fixture(params=[LeanQuart, Quart], ids=["lean", "quart"])
def kind(request: pytest.FixtureRequest) -> type[Quart]:
    """Each check runs with the in-task connection and with Quart's own."""
    kind: type[Quart] = request.param
    return kind


def _app(kind: type[Quart] = LeanQuart) -> Quart:
    app = kind(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10
    seen: list[bytes] = []
    app.config["SEEN"] = seen

    @app.post("/echo")
    async def echo() -> bytes:
        body = await request.get_data()
        seen.append(body)
        return body

    @app.get("/sync")
    def sync_view() -> str:  # ensure_async runs it in a thread, from its cache the second time
        return "from a plain function"

    @app.get("/stream")
    async def stream() -> Any:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one ", b"two"):
                yield part

        return parts()

    @app.get("/range")
    async def ranged() -> Any:
        response = await app.make_response(b"0123456789")
        await response.make_conditional(request, accept_ranges=True, complete_length=10)
        return response

    @app.get("/headers")
    async def headers() -> Any:
        return {
            "items": list(request.headers.items()),
            "missing": request.headers.get("X-Missing", "default"),
            "typed": request.headers.get("x-number", type=int),
            "host": request.host,
        }

    @app.get("/folder/")
    async def folder() -> str:
        return "a folder"

    @app.url_value_preprocessor
    def take_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None and "language" in values:
            app.config["LANGUAGES"].append(values.pop("language"))

    app.config["LANGUAGES"] = []

    @app.get("/<language>/items/<name>")
    async def item(name: str) -> str:
        return name

    @app.get("/numbers/<int:number>")
    async def number(number: int) -> str:
        return str(number * 2)

    return app


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]], **extra: Any) -> Any:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": None,
        "extensions": {}, "state": {}, **extra,
    }  # fmt: skip


async def _call(
    app: Quart, method: str, path: str, messages: list[Message], **extra: Any
) -> list[Message]:
    queue = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.Event().wait()  # nothing more: as a client that keeps the connection
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"host", b"localhost"), *extra.pop("headers", [])]
    await asyncio.wait_for(app(_scope(method, path, headers, **extra), receive, send), 5)
    return sent


def _body(sent: list[Message]) -> bytes:
    return b"".join(message.get("body", b"") for message in sent[1:])


async def test_a_body_in_chunks_without_a_length_is_read_whole_and_answered_in_one_message(
    kind: type[Quart],
) -> None:
    app = _app(kind)
    chunks = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"def", "more_body": False},
    ]
    sent = await _call(app, "POST", "/echo", chunks)
    assert sent[0]["status"] == 200 and _body(sent) == b"abcdef"
    if kind is LeanQuart:
        assert sent[1:] == [{"type": "http.response.body", "body": b"abcdef"}]
    assert app.config["SEEN"] == [b"abcdef"]


async def test_a_body_over_the_limit_is_413_without_reading_the_rest(kind: type[Quart]) -> None:
    app = _app(kind)
    chunks = [{"type": "http.request", "body": b"x" * 8, "more_body": True}] * 3
    sent = await _call(app, "POST", "/echo", chunks)
    assert sent[0]["status"] == 413
    assert app.config["SEEN"] == []


async def test_a_client_gone_before_its_body_ends_runs_nothing(kind: type[Quart]) -> None:
    app = _app(kind)
    messages = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert await _call(app, "POST", "/echo", messages) == []
    assert app.config["SEEN"] == []


async def test_streamed_and_ranged_answers_are_as_quart_sends_them(kind: type[Quart]) -> None:
    app = _app(kind)
    empty = [{"type": "http.request", "body": b"", "more_body": False}]
    streamed = await _call(app, "GET", "/stream", empty)
    assert streamed[0]["status"] == 200 and _body(streamed) == b"one two"
    assert streamed[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    ranged = await _call(app, "GET", "/range", empty, headers=[(b"range", b"bytes=2-4")])
    assert ranged[0]["status"] == 206
    assert _body(ranged) == b"234"


async def test_plain_functions_are_still_run_as_views_every_time(kind: type[Quart]) -> None:
    app = _app(kind)
    empty = [{"type": "http.request", "body": b"", "more_body": False}]
    for _ in range(2):
        sent = await _call(app, "GET", "/sync", empty)
        assert sent[0]["status"] == 200 and _body(sent) == b"from a plain function"


EMPTY = [{"type": "http.request", "body": b"", "more_body": False}]


@pytest.mark.parametrize("http_version", ["1.1", "1.0"])
async def test_headers_read_as_from_quarts_own_request(http_version: str) -> None:
    sent_headers = [
        (b"x-number", b"42"),
        (b"accept", b"*/*"),
        (b"x-twice", b"1"),
        (b"x-twice", b"2"),
    ]
    answers = [
        await _call(
            _app(kind), "GET", "/headers", EMPTY, headers=sent_headers, http_version=http_version
        )
        for kind in (LeanQuart, Quart)
    ]
    assert answers[0][0]["status"] == 200
    assert _body(answers[0]) == _body(answers[1])
    assert b'"missing":"default"' in _body(answers[0]) and b'"typed":42' in _body(answers[0])


@pytest.mark.parametrize(
    ("scheme", "host"),
    [
        ("http", "127.0.0.1:5003"),
        ("http", "Example.COM:80"),
        ("https", "example.com:443"),
        ("https", "example.com:80"),
        ("http", "b\u00fccher.example"),
        ("http", ""),
    ],
)
async def test_the_url_adapter_is_quarts(scheme: str, host: str) -> None:
    adapters = []
    for kind in (LeanQuart, Quart):
        app = _app(kind)
        scope = _scope("GET", "/folder/", [(b"host", host.encode())], scheme=scheme)
        scope["query_string"] = b"a=1"
        built = InTaskHTTPConnection(app, scope)._create_request_from_scope(_never)
        adapter = app.create_url_adapter(built)
        adapters.append({k: v for k, v in vars(adapter).items() if k not in ("map", "_matches")})
    assert adapters[0] == adapters[1]


async def test_a_host_idna_cannot_encode_is_refused_as_by_quart() -> None:
    for kind in (LeanQuart, Quart):
        app = _app(kind)
        scope = _scope("GET", "/folder/", [(b"host", b"a..b")])
        built = InTaskHTTPConnection(app, scope)._create_request_from_scope(_never)
        with pytest.raises(BadHost):
            app.create_url_adapter(built)


async def test_a_redirect_names_the_requested_host(kind: type[Quart]) -> None:
    sent = await _call(_app(kind), "GET", "/folder", EMPTY, headers=[])
    assert sent[0]["status"] == 308
    assert (b"location", b"http://localhost/folder/") in sent[0]["headers"]


async def test_an_answer_nobody_reads_is_given_up_at_its_deadline(kind: type[Quart]) -> None:
    app = _app(kind)
    app.config["RESPONSE_TIMEOUT"] = 0.05
    sent: list[Message] = []
    bodies = list(EMPTY)

    async def receive() -> Message:
        if bodies:
            return bodies.pop()
        await asyncio.Event().wait()  # a client that keeps the connection and reads nothing
        raise AssertionError

    async def send(message: Message) -> None:  # as a socket whose buffer stays full
        sent.append(message)
        if message["type"] == "http.response.body":
            await asyncio.Event().wait()

    started = time.monotonic()
    await asyncio.wait_for(app(_scope("GET", "/sync", [(b"host", b"localhost")]), receive, send), 5)
    assert time.monotonic() - started < 0.05 + MAX_LATE_SECONDS + 1
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


async def _never(message: Message) -> None:
    raise AssertionError("nothing is sent while a request is made")


async def test_each_request_gets_its_own_path_arguments(kind: type[Quart]) -> None:
    """Matches are remembered per path (plugin.lean_quart.RememberingAdapter): a view or a
    preprocessor that changes its arguments changes them for its own request only."""
    app = _app(kind)
    for path, answer in [
        ("/en/items/a", b"a"),
        ("/en/items/b", b"b"),
        ("/fr/items/a", b"a"),
        ("/en/items/a", b"a"),
        ("/numbers/21", b"42"),
        ("/numbers/21", b"42"),
    ]:
        sent = await _call(app, "GET", path, EMPTY)
        assert (sent[0]["status"], _body(sent)) == (200, answer)
    assert app.config["LANGUAGES"] == ["en", "en", "fr", "en"]


async def test_a_path_matched_before_still_refuses_what_it_refused(kind: type[Quart]) -> None:
    app = _app(kind)
    for _ in range(2):
        assert (await _call(app, "GET", "/numbers/1", EMPTY))[0]["status"] == 200
        refused = await _call(app, "POST", "/numbers/1", EMPTY)
        assert refused[0]["status"] == 405
        assert (await _call(app, "GET", "/numbers/x", EMPTY))[0]["status"] == 404
        assert (await _call(app, "GET", "/folder", EMPTY))[0]["status"] == 308


async def test_a_new_url_map_is_matched_afresh(kind: type[Quart]) -> None:
    """The router swaps in a whole new map when the spec changes (operations/routes.py)."""
    app = _app(kind)
    assert _body(await _call(app, "GET", "/numbers/2", EMPTY)) == b"4"
    app.url_map = type(app.url_map)([QuartRule("/numbers/2", endpoint="sync_view")])
    assert _body(await _call(app, "GET", "/numbers/2", EMPTY)) == b"from a plain function"


async def test_a_long_path_is_matched_but_not_remembered() -> None:
    """Clients choose the paths: past MAX_REMEMBERED_PATH one is matched afresh each time, so
    the remembered matches cannot be made to hold megabytes."""
    app = _app(LeanQuart)
    long_name = "n" * (MAX_REMEMBERED_PATH + 1)
    for name in ("short", long_name, long_name):
        sent = await _call(app, "GET", f"/en/items/{name}", EMPTY)
        assert (sent[0]["status"], _body(sent)) == (200, name.encode())
    remembered = cast(LeanQuart, app)._matches
    assert [path for path, _ in remembered] == ["/en/items/short"]
