"""Hostile requests on the wire, where the test client cannot send them: request targets that
begin with ``//``, control characters in the path reaching the log, a web page's simple
request to a server on localhost, and a request head too large (on each server)."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.servers import LiveServer

pytestmark = pytest.mark.slow


def exchange(server: LiveServer, request: str) -> tuple[str, bytes]:
    """Send one raw HTTP/1.1 request; the status line and headers, and the body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


@pytest.mark.parametrize(
    "target", ["//todos/ann", "///todos/ann", "//evil.example/todos/ann", "/todos//ann"]
)
def test_repeated_slashes_are_never_redirected_to_the_host(
    secured_server: LiveServer, target: str
) -> None:
    """Werkzeug redirected them to a URL built from the Host, scheme dropped; now they are
    routed as they are (leading slashes are one, as Werkzeug reads them) or a 404."""
    head, body = exchange(
        secured_server,
        f"GET {target} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    assert head.split()[1] in ("401", "404"), head  # no credential: a route's own 401
    assert "location:" not in head.lower()
    assert json.loads(body)["error"] in ("unauthorized", "not_found")


FORGED = "2026-12-03 10:00:00,000 INFO plugin.access: 10.0.0.1 GET /admin 200 1.0ms"


@pytest.mark.parametrize(
    ("encoded", "escaped"),
    [
        ("%0a", "\\x0a"),
        ("%0d%0a", "\\x0d\\x0a"),
        ("%00", "\\x00"),
        ("%1b[2K%0d", "\\x1b[2K\\x0d"),
        ("%e2%80%a8", "\\u2028"),
        ("%c2%85", "\\x85"),
    ],
)
def test_control_characters_in_a_path_cannot_forge_a_log_line(
    open_server: LiveServer, encoded: str, escaped: str
) -> None:
    path = f"/todos/ann{encoded}{FORGED.replace(' ', '%20')}"
    head, _ = exchange(
        open_server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert head.startswith("HTTP/1.1 4"), head
    log = open_server.log_once(f"GET /todos/ann{escaped}{FORGED}")
    assert not any(line.startswith(FORGED) for line in log.splitlines())
    raw = open_server.log_path.read_bytes() if open_server.log_path else b""
    assert b"\x00" not in raw and b"\x1b" not in raw and b"\xe2\x80\xa8" not in raw


def test_a_web_page_cannot_write_through_a_simple_request(open_server: LiveServer) -> None:
    """``text/plain`` and forms need no CORS preflight: any page may send them to localhost."""
    url = f"{open_server.url}/todos/victim"
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        answer = httpx.post(
            url,
            content=b'{"todo": "planted"}',
            headers={"Content-Type": content_type, "Origin": "https://evil.example"},
        )
        assert answer.status_code == 415
        assert answer.json()["error"] == "unsupported_media_type"
    rebound = httpx.post(url, json={"todo": "planted"}, headers={"Host": "rebind.attacker.example"})
    assert rebound.status_code == 400 and rebound.json()["error"] == "unknown_host"
    assert httpx.get(url).json()["todos"] == []


def test_a_request_head_too_large_is_refused_431(open_server_on: LiveServer) -> None:
    """Both servers bound a request's head: httptools has no bound of its own (under uvicorn a
    30 MB header held the event loop for seconds), h11 has one under Hypercorn."""
    for size, status in ((20_000, "200"), (100_000, "431")):
        head, _ = exchange(
            open_server_on,
            f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * size}\r\n"
            "Connection: close\r\n\r\n",
        )
        assert head.split()[1] == status, (size, head)
