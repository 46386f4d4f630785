"""A body that stops arriving is answered 408 after ``PLUGIN_BODY_TIMEOUT``, on every route."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import LiveServer

pytestmark = pytest.mark.slow

TIMEOUT = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("body-timeout")
    env = {
        "PLUGIN_DATABASE": str(folder / "plugin.sqlite3"),
        "PLUGIN_RATE_LIMIT": "off",
        "PLUGIN_BODY_TIMEOUT": str(TIMEOUT),
    }
    with LiveServer(env, log_path=folder / "server.log") as live:
        yield live


def stalled(port: int, path: str, sent: bytes, declared: int) -> tuple[bytes, float]:
    """Send the headers and part of a body, then wait: the whole answer and how long it took."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n"
            "Origin: https://chatgpt.com\r\n\r\n".encode()
            + sent
        )
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after the 408
            answer += chunk
        return answer, time.monotonic() - started


@pytest.mark.parametrize("path", ["/todos/slow", "/mcp"])
def test_a_stalled_body_is_a_408_and_nothing_is_stored(server: LiveServer, path: str) -> None:
    answer, took = stalled(server.port, path, b'{"todo": "never fin', 200)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower()
    assert b"access-control-allow-origin: https://chatgpt.com" in head.lower()
    assert json.loads(body)["error"] == "request_timeout"
    assert TIMEOUT <= took < TIMEOUT + 5
    assert httpx.get(f"{server.url}/todos/slow").json()["todos"] == []
    server.log_once(f"POST {path} 408 ")


def test_a_body_that_keeps_coming_in_time_is_served(server: LiveServer) -> None:
    body = json.dumps({"todo": "sent in two parts"}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST /todos/parts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:5]
        )
        time.sleep(TIMEOUT / 3)
        sock.sendall(body[5:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert httpx.get(f"{server.url}/todos/parts").json()["todos"] == ["sent in two parts"]
