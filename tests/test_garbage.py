"""A request leaves no reference cycle behind: everything it made is freed by reference
counting the moment it ends, so the next request reuses that memory while it is still in the
processor's caches. Cycles wait for the cyclic collector instead; Werkzeug's matcher left one
per request, and removing it took about a tenth off the CPU time of ``GET /todos`` (bench/README.md,
"What a request leaves behind")."""

from __future__ import annotations

import gc
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from plugin import Settings

Message = dict[str, Any]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database=str(tmp_path / "plugin.sqlite3"), rate_limit="off")


async def _request(app: Quart, method: str, path: str, body: bytes = b"") -> int:
    headers = [(b"host", b"127.0.0.1:5003"), (b"origin", b"https://chat.openai.com")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 5003), "state": {}, "extensions": {},
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def _cycles_left(
    app: Quart, method: str, path: str, body: bytes, status: int
) -> Counter[str]:
    """The kinds of object 20 such requests leave in reference cycles, after 3 that fill caches
    that stay."""
    for _ in range(3):
        assert await _request(app, method, path, body) == status
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            assert await _request(app, method, path, body) == status
        gc.collect()
        return Counter(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/todos/ann", b""),
        ("POST", "/todos/ann", json.dumps({"todo": "buy milk"}).encode()),
        ("GET", "/openapi.yaml", b""),
        ("GET", "/.well-known/ai-plugin.json", b""),
    ],
)
async def test_an_answered_request_leaves_no_cycle(
    app: Quart, method: str, path: str, body: bytes
) -> None:
    left = await _cycles_left(app, method, path, body, 200)
    assert not left, left


async def test_a_path_nothing_matches_leaves_no_request_behind(app: Quart) -> None:
    """Werkzeug's matcher still leaves its closure for a path it cannot match (a scanner's
    404s); the request, its context, the ``NotFound`` and its traceback are freed at once."""
    left = await _cycles_left(app, "GET", "/no/such/path", b"", 404)
    assert set(left) <= {"function", "cell", "set", "tuple"}, left  # the matcher's closure
