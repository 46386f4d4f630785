"""The API over real HTTP: CORS preflight, service_http auth, bad input on the wire."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.conftest import SERVICE_TOKEN
from tests.servers import LiveServer

from .conftest import BEARER

pytestmark = pytest.mark.slow


def test_cors_preflight_over_http(open_server: LiveServer) -> None:
    for origin in ("https://chatgpt.com", "https://chat.openai.com"):
        response = httpx.options(
            f"{open_server.url}/todos/ann",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
                "Access-Control-Request-Private-Network": "true",
            },
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-private-network"] == "true"
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers
        answer = httpx.post(
            f"{open_server.url}/todos/cors", json={"todo": "x"}, headers={"Origin": origin}
        )
        assert answer.headers["access-control-allow-origin"] == origin
    evil = httpx.options(
        f"{open_server.url}/todos/ann",
        headers={"Origin": "https://chatgpt.com.evil.tld", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in evil.headers


@pytest.fixture
def secured(secured_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secured_server.url) as client:
        yield client


def test_service_http_over_http(secured: httpx.Client) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SERVICE_TOKEN}"},
    ):
        refused = secured.post("/todos/svc", json={"todo": "sneaky"}, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["error"] == "unauthorized"
    added = secured.post("/todos/svc", json={"todo": "milk"}, headers=BEARER)
    assert added.status_code == 200
    assert secured.get("/todos/svc", headers=BEARER).json()["todos"] == ["milk"]
    for path in ("/.well-known/ai-plugin.json", "/openapi.yaml", "/logo.png", "/privacy"):
        assert secured.get(path).status_code == 200


def send(
    port: int, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, bytes]:
    """A request sent as written: no client normalises the path. A body is declared JSON."""
    if body is not None:
        headers = {"Content-Type": "application/json", **headers}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def send_chunked(port: int, path: str, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        pieces = [body[start : start + 4096] for start in range(0, len(body), 4096)]
        connection.request(
            "POST",
            path,
            body=iter(pieces),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_bad_input_over_the_wire(open_server: LiveServer) -> None:
    port = open_server.port
    assert send(port, "POST", "/todos/wire", b'{"todo": "kept"}')[0] == 200
    before = send(port, "GET", "/todos/wire")
    big = json.dumps({"todo": "x" * 70_000}).encode()
    cases = [
        ("POST", "/todos/wire", b'{"todo": ', {}, 400),
        ("POST", "/todos/wire", b"[" * 60_000, {}, 400),
        ("POST", "/todos/wire", b'{"todo": 5}', {}, 422),
        ("POST", "/todos/wire", b'{"todo": "\\udc00"}', {}, 422),
        ("DELETE", "/todos/wire", b'{"todo_idx": "0"}', {}, 422),
        ("DELETE", "/todos/wire", b'{"todo_idx": 99999999999999999999999}', {}, 422),
        ("DELETE", "/todos/wire/99999999999999999999999", None, {}, 404),
        ("POST", "/todos/wire", big, {}, 413),
        ("POST", "/todos/wire", big, {"Content-Length": "10"}, 400),
        ("GET", "/todos/wire?limit=0", None, {}, 422),
        ("PUT", "/todos/wire", b"{}", {}, 405),
        ("POST", "/openapi.yaml", b"{}", {}, 405),
        ("GET", "/nowhere", None, {}, 404),
        ("GET", "/.well-known/../manifest.json", None, {}, 404),
        ("GET", "/.well-known/%2e%2e/manifest.json", None, {}, 404),
        ("GET", "/.well-known/..%2fmanifest.json", None, {}, 404),
        ("GET", "/.well-known/..%5cmanifest.json", None, {}, 404),
        ("GET", "/.well-known/%00", None, {}, 404),
        ("GET", "/.well-known/.gitkeep", None, {}, 404),
    ]
    for method, path, body, headers, status in cases:
        got, answer = send(port, method, path, body, **headers)
        assert got == status, (method, path, answer)
        error = json.loads(answer)
        assert set(error) == {"error", "error_description"}, (method, path)
        assert b"Traceback" not in answer and b"PLUGIN_HOSTNAME" not in answer
    assert send_chunked(port, "/todos/wire", big) == 413
    assert send(port, "GET", "/todos/wire") == before
    assert "Traceback" not in open_server.log()


def test_connection_reused_after_answers_that_skip_the_body(secured_server: LiveServer) -> None:
    """A 401, 404 or 405 sent before the body was read must not break the next request on the
    same keep-alive connection (it did, about one sequence in eight, before Connection: close)."""
    body = {"todo": "x" * 1000}
    for _ in range(40):
        with httpx.Client(base_url=secured_server.url) as http:
            assert http.post("/todos/reuse", json=body).status_code == 401
            assert http.post("/openapi.yaml", json=body).status_code == 405
            assert http.post("/nowhere", json=body, headers=BEARER).status_code == 404
            assert http.put("/todos/reuse", json=body, headers=BEARER).status_code == 405
            added = http.post("/todos/reuse", json=body, headers=BEARER)
            assert added.status_code == 200
            assert added.headers.get("connection") != "close"  # a read body keeps the connection


def _date(answer: bytes) -> datetime:
    """The Date header of a raw HTTP answer."""
    (value,) = [
        line.split(b":", 1)[1].strip()
        for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
        if line.lower().startswith(b"date:")
    ]
    return parsedate_to_datetime(value.decode("ascii"))


def _exchange(server: LiveServer, request: bytes) -> bytes:
    """The answer's head (and what came with it) to one request on a new connection."""
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        while b"\r\n\r\n" not in answer:
            received = connection.recv(65536)
            assert received, f"closed after {answer!r}"
            answer += received
    return answer


def test_every_answer_carries_the_current_date(open_server_on: LiveServer) -> None:
    """The server's own refusals too (HTTP/1.1 requires a Date from a server with a clock).

    Both servers format the header once a second; it must still move with the clock."""
    fetch = b"GET /.well-known/ai-plugin.json HTTP/1.1\r\nHost: localhost\r\n\r\n"
    first = _exchange(open_server_on, fetch)
    time.sleep(1.1)
    second = _exchange(open_server_on, fetch)
    refused = _exchange(open_server_on, b"NOT HTTP AT ALL\r\n\r\n")
    now = datetime.now(UTC)
    assert first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 200")
    assert refused.startswith(b"HTTP/1.1 400")
    assert _date(first) < _date(second) <= _date(refused)
    assert abs((now - _date(refused)).total_seconds()) < 2
