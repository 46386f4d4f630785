"""A tiny real HTTP server in a thread, for upstreams and plugins that misbehave on purpose:
slow, not speaking HTTP, wrong media types, no CORS. Tests give it a function from the request
to the answer; it runs on a free 127.0.0.1 port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None  # sent as is instead of an HTTP answer (garbage, a cut answer)
    stall: float = 0.0  # seconds between sending ``raw`` and closing the connection
    chunked: bool = False  # Transfer-Encoding: chunked, one chunk per write, not Content-Length
    tail: int = 0  # the body's last ``tail`` bytes go in a write of their own ...
    tail_delay: float = 0.0  # ... this many seconds after the rest


Respond = Callable[[Request], Answer]


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


def _handler(respond: Respond) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            request = Request(
                self.command,
                self.path,
                {key.lower(): value for key, value in self.headers.items()},
                _read_body(self),
            )
            answer = respond(request)
            time.sleep(answer.delay)
            if answer.raw is not None:
                self.wfile.write(answer.raw)
                time.sleep(answer.stall)
                self.close_connection = True
                return
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            if answer.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self._write_body(answer)

        def _write_body(self, answer: Answer) -> None:
            split = len(answer.body) - answer.tail
            head, tail = answer.body[:split], answer.body[split:]
            if answer.chunked:  # the last chunk goes with the tail: the answer ends in that write
                head, tail = _chunk(head), _chunk(tail) + b"0\r\n\r\n"
            self.wfile.write(head)
            time.sleep(answer.tail_delay)
            self.wfile.write(tail)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _answer  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def raw_server(respond: Respond) -> Iterator[str]:
    """Serve ``respond`` on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(respond))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
