"""Quart's request handling run in the request's own task (plugin/lean_quart.py): the same
answers as Quart's own, bodies in one piece, streams and ranges as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from quart import Quart, request

from plugin.lean_quart import LeanQuart

Message = dict[str, Any]


def _app() -> Quart:
    app = LeanQuart(__name__)
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

    return app


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

    headers = [(b"host", b"localhost"), *extra.get("headers", [])]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": None,
        "extensions": {}, "state": {},
    }  # fmt: skip
    await asyncio.wait_for(app(scope, receive, send), 5)
    return sent


def _body(sent: list[Message]) -> bytes:
    return b"".join(message.get("body", b"") for message in sent[1:])


async def test_a_body_in_chunks_without_a_length_is_read_whole_and_answered_in_one_message() -> (
    None
):
    app = _app()
    chunks = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"def", "more_body": False},
    ]
    sent = await _call(app, "POST", "/echo", chunks)
    assert sent[0]["status"] == 200
    assert sent[1:] == [{"type": "http.response.body", "body": b"abcdef"}]
    assert app.config["SEEN"] == [b"abcdef"]


async def test_a_body_over_the_limit_is_413_without_reading_the_rest() -> None:
    app = _app()
    chunks = [{"type": "http.request", "body": b"x" * 8, "more_body": True}] * 3
    sent = await _call(app, "POST", "/echo", chunks)
    assert sent[0]["status"] == 413
    assert app.config["SEEN"] == []


async def test_a_client_gone_before_its_body_ends_runs_nothing() -> None:
    app = _app()
    messages = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert await _call(app, "POST", "/echo", messages) == []
    assert app.config["SEEN"] == []


async def test_streamed_and_ranged_answers_are_as_quart_sends_them() -> None:
    app = _app()
    empty = [{"type": "http.request", "body": b"", "more_body": False}]
    streamed = await _call(app, "GET", "/stream", empty)
    assert streamed[0]["status"] == 200 and _body(streamed) == b"one two"
    assert streamed[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    ranged = await _call(app, "GET", "/range", empty, headers=[(b"range", b"bytes=2-4")])
    assert ranged[0]["status"] == 206
    assert _body(ranged) == b"234"


async def test_plain_functions_are_still_run_as_views_every_time() -> None:
    app = _app()
    empty = [{"type": "http.request", "body": b"", "more_body": False}]
    for _ in range(2):
        sent = await _call(app, "GET", "/sync", empty)
        assert sent[0]["status"] == 200 and _body(sent) == b"from a plain function"
