"""Proxy mode against hostile request targets, upstreams that break off, and an upstream URL
holding a password: one proxy, its upstream, and a third server the proxy must never reach,
all talked to over raw sockets so what the client sees is what went over the wire."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import h11
import pytest

from tests.raw_http import Answer, Request, raw_server
from tests.servers import LiveServer, proxy_server

pytestmark = pytest.mark.slow

PASSWORD = "s3cret-upstream-pass-9876"
TIMEOUT = 0.5  # PLUGIN_UPSTREAM_TIMEOUT of the proxy
CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
SIZED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
BROKEN_OFF = {
    "/cut-chunked": Answer(raw=CHUNKED + b'9\r\n{"todos":\r\n'),
    "/cut-length": Answer(raw=SIZED + b'{"todos": ["a", '),
    "/stall-chunked": Answer(raw=CHUNKED + b'9\r\n{"todos":\r\n', stall=4 * TIMEOUT),
    "/stall-length": Answer(raw=SIZED + b'{"todos": ["a", ', stall=4 * TIMEOUT),
}


def upstream_answer(request: Request) -> Answer:
    if request.path in BROKEN_OFF:
        return BROKEN_OFF[request.path]
    if request.path == "/slow":
        return Answer(200, b"{}", delay=4 * TIMEOUT)
    if request.path == "/garbage":
        return Answer(raw=b"not HTTP\r\n\r\n")
    seen = {"path": request.path, "authorization": request.headers.get("authorization")}
    return Answer(200, json.dumps(seen).encode(), {"Content-Type": "application/json"})


@dataclass
class Servers:
    proxy: LiveServer
    upstream: list[Request] = field(default_factory=list)
    elsewhere: list[Request] = field(default_factory=list)
    elsewhere_port: int = 0


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("proxy_hardening")
    upstream_seen: list[Request] = []
    elsewhere_seen: list[Request] = []

    def upstream(request: Request) -> Answer:
        upstream_seen.append(request)
        return upstream_answer(request)

    def elsewhere(request: Request) -> Answer:
        elsewhere_seen.append(request)
        return Answer(200, b"a secret of another server")

    with raw_server(upstream) as upstream_url, raw_server(elsewhere) as elsewhere_url:
        with_password = upstream_url.replace("http://", f"http://dev:{PASSWORD}@") + "/"
        with proxy_server(folder, with_password, TIMEOUT) as proxy:
            port = int(elsewhere_url.rsplit(":", 1)[1])
            yield Servers(proxy, upstream_seen, elsewhere_seen, port)


@dataclass
class Exchange:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    complete: bool  # the answer ended as HTTP/1.1 says: last chunk, or Content-Length bytes


def exchange(
    port: int, target: bytes, method: bytes = b"GET", headers: tuple[tuple[str, str], ...] = ()
) -> Exchange:
    """One request with exactly this target over a raw socket, read with h11 to its end."""
    connection = h11.Connection(h11.CLIENT)
    request = h11.Request(method=method, target=target, headers=[("Host", "127.0.0.1"), *headers])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(connection.send(request) + connection.send(h11.EndOfMessage()))
        response: h11.Response | None = None
        body = b""
        complete = False
        while not complete:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:  # closed before the answer was complete
                break
            if event is h11.NEED_DATA:
                connection.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            else:
                complete = isinstance(event, h11.EndOfMessage)
    assert response is not None, "no status line came"
    return Exchange(response.status_code, list(response.headers), body, complete)


def named(answer: Exchange, name: bytes) -> list[bytes]:
    return [value for key, value in answer.headers if key == name]


@pytest.mark.parametrize(
    ("method", "target"),
    [
        (b"GET", b"@127.0.0.1:{port}/secret"),
        (b"GET", b":{port}/x"),
        (b"GET", b"http://127.0.0.1:{port}/x"),
        (b"POST", b"https://127.0.0.1:{port}/todos/ann"),
        (b"GET", b".evil/x"),
        (b"DELETE", b"127.0.0.1:{port}/x"),
        (b"OPTIONS", b"*"),
        (b"GET", b"%40127.0.0.1:{port}/x"),
    ],
)
def test_a_target_that_is_not_a_path_is_a_400_and_reaches_no_server(
    servers: Servers, method: bytes, target: bytes
) -> None:
    before = len(servers.upstream)
    answer = exchange(
        servers.proxy.port, target.replace(b"{port}", b"%d" % servers.elsewhere_port), method
    )
    assert answer.status == 400 and answer.complete
    assert json.loads(answer.body)["error"] == "bad_request"
    assert servers.elsewhere == [] and len(servers.upstream) == before


@pytest.mark.parametrize(
    "target",
    [b"//127.0.0.1:{port}/x", b"/@127.0.0.1:{port}/x", b"/%2F%2F127.0.0.1:{port}/x", b"/a/../../x"],
)
def test_every_path_goes_to_the_upstream_as_sent(servers: Servers, target: bytes) -> None:
    sent = target.replace(b"{port}", b"%d" % servers.elsewhere_port)
    answer = exchange(servers.proxy.port, sent + b"?q=%20")
    assert answer.status == 200 and answer.complete
    # http.server folds the leading slashes of what it received into one (CPython gh-87389).
    assert json.loads(answer.body)["path"] == "/" + (sent + b"?q=%20").decode().lstrip("/")
    assert servers.elsewhere == []


def test_date_comes_once_and_no_server_is_named(servers: Servers) -> None:
    answer = exchange(servers.proxy.port, b"/todos/ann")
    assert answer.status == 200
    assert len(named(answer, b"date")) == 1
    assert named(answer, b"server") == []  # the upstream's BaseHTTP is dropped; ours names none


def test_upstream_credentials_are_sent_unless_the_client_sends_its_own(servers: Servers) -> None:
    answer = exchange(servers.proxy.port, b"/todos/ann")
    sent = json.loads(answer.body)["authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")) == f"dev:{PASSWORD}".encode()
    own = exchange(servers.proxy.port, b"/todos/ann", headers=(("Authorization", "Bearer mine"),))
    assert own.status == 200 and json.loads(own.body)["authorization"] == "Bearer mine"


@pytest.mark.parametrize("path", list(BROKEN_OFF))
def test_an_answer_the_upstream_broke_off_reaches_the_client_unfinished(
    servers: Servers, path: str
) -> None:
    answer = exchange(servers.proxy.port, path.encode())
    assert answer.status == 200
    assert answer.body.startswith(b'{"todos":')  # what came was relayed ...
    assert not answer.complete  # ... but not passed off as the whole answer
    log = servers.proxy.log_once(f"GET {path} -> 200 in ")
    assert log.count(f"GET {path} -> 200 in ") == 1 and "upstream broke off" in log
    assert "Traceback" not in log


def test_the_upstream_password_is_shown_nowhere(servers: Servers) -> None:
    port = servers.proxy.port
    shown = []
    for path, status, error in (
        (b"/slow", 504, "upstream_timeout"),
        (b"/garbage", 502, "bad_upstream_response"),
    ):
        answer = exchange(port, path)
        assert answer.status == status
        description = json.loads(answer.body)
        assert description["error"] == error
        shown.append(description["error_description"])
    overview = exchange(port, b"/console/api/overview")
    assert overview.status == 200
    shown.append(json.loads(overview.body)["proxy_upstream"])
    client_token = "client-own-bearer-token-5551"
    garbage = exchange(port, b"/garbage", headers=(("Authorization", f"Bearer {client_token}"),))
    assert garbage.status == 502
    log = servers.proxy.log_once("GET /garbage -> 502 in ")
    assert all("dev:***@127.0.0.1" in text for text in shown)
    assert "proxy mode: forwarding to http://dev:***@127.0.0.1" in log
    basic = base64.b64encode(f"dev:{PASSWORD}".encode()).decode()  # the header sent upstream
    for secret in (PASSWORD, basic, client_token):
        assert secret not in log and not any(secret in text for text in shown)
