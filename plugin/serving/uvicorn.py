"""Serving on uvicorn with httptools (``PLUGIN_SERVER=uvicorn``): HTTP/1.1 only, about twice
Hypercorn's requests a second on one core (docs/production.md).

Everything goes through uvicorn's public ``Config`` and ``Server``, in our own event loop
(``PLUGIN_EVENT_LOOP``):

- the HTTPS (or HTTP) port and ``PLUGIN_REDIRECT_HTTP_PORT`` are two servers in one loop
  sharing one app, whose lifespan (the database, the write batch) the first one runs;
- SIGTERM and SIGINT are handled here: uvicorn's own handling raises the signal again once it
  has drained, so the process would end killed by it, before the log's last lines are written;
- ``--workers`` is a small supervisor of spawned processes on sockets bound once, as Hypercorn's
  is: a signal to it reaches each worker as SIGTERM, and a worker that dies stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any

import uvicorn
from quart import Quart
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import Settings
from . import (
    GRACEFUL_SECONDS,
    KEEP_ALIVE_SECONDS,
    bind,
    export_settings,
    loop_factory,
    serving_app,
    worker_settings,
)

__all__ = ["serve"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers; Hypercorn answers 431 about there too
HEAD_END = b"\r\n\r\n"
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-length: 0\r\nconnection: close\r\n\r\n"
)


class _BoundedHeadProtocol(HttpToolsProtocol):
    """httptools' protocol with a bound on each request's head (431 past ``MAX_HEAD_BYTES``).

    httptools has none, and it grows a header's value by appending to it: one request with a
    30 MB header held the event loop for 7 s here. The head is counted as it arrives, up to
    its blank line, so a body read with it is never counted; a head that starts inside a read
    is counted from the next one (bounded all the same)."""

    _in_head = True
    _head_bytes = 0
    _tail = b""  # the last bytes of the previous read, where the blank line may start

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            end = (self._tail + data).find(HEAD_END)
            self._head_bytes += len(data) if end < 0 else end + len(HEAD_END) - len(self._tail)
            self._tail = data[-len(HEAD_END) + 1 :]
            if self._head_bytes > MAX_HEAD_BYTES:
                self._in_head = False
                self.transport.write(TOO_LARGE)
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._tail = True, 0, b""


class _Server(uvicorn.Server):
    """uvicorn's server, leaving the signals to :func:`_serve`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _tls_12_plus(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's context, refusing anything older than TLS 1.2 (as Hypercorn's does)."""
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _configs(app: Quart, settings: Settings) -> list[uvicorn.Config]:
    """The main port's configuration, then the redirect port's if it is on."""
    common: dict[str, Any] = {
        "http": _BoundedHeadProtocol,
        "interface": "asgi3",
        "log_config": None,  # the CLI's logging
        "access_log": False,  # our own access line is cheaper; see plugin.access_log
        "proxy_headers": False,  # who the client is: the app decides (PLUGIN_TRUSTED_PROXIES)
        "server_header": False,  # no software named to every client (nor written)
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }
    tls: dict[str, Any] = {}
    if settings.certfile:
        tls = {
            "ssl_certfile": settings.certfile,
            "ssl_keyfile": settings.keyfile,
            "ssl_context_factory": _tls_12_plus,
        }
    configs = [uvicorn.Config(app, lifespan="on", **common, **tls)]
    if settings.redirect_http_port:  # the same app, already started by the first
        configs.append(uvicorn.Config(app, lifespan="off", **common))
    return configs


async def _serve(
    app: Quart, settings: Settings, sockets: Sequence[socket.socket], signals: Sequence[int]
) -> None:
    """Serve ``app`` on ``sockets`` (see :func:`_bind_all`) until one of ``signals``: the
    connections drain (up to ``GRACEFUL_SECONDS``), then the app's lifespan ends."""
    servers = [_Server(config) for config in _configs(app, settings)]

    def stop(sig: int) -> None:
        for server in servers:
            server.handle_exit(sig, None)  # a second SIGINT stops without waiting

    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop, sig)
    await asyncio.gather(
        *(server.serve(sockets=[sock]) for server, sock in zip(servers, sockets, strict=True))
    )


def _exit_before_serving(sig: int, frame: object) -> None:
    raise SystemExit(0)  # nothing is open yet: no request, no database


def _run(settings: Settings, sockets: Sequence[socket.socket], signals: Sequence[int]) -> None:
    """Build the app and serve it; a signal that comes while it is built ends the process."""
    for sig in signals:  # until _serve hands them to the event loop
        signal.signal(sig, _exit_before_serving)
    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(_serve(serving_app(settings), settings, sockets, signals))


def _bind_all(settings: Settings) -> list[socket.socket]:
    """The main port's socket, then the redirect port's if it is on; workers inherit them."""
    ports = [settings.port] + ([settings.redirect_http_port] if settings.redirect_http_port else [])
    sockets = [bind(settings.host, port) for port in ports]
    for sock in sockets:
        sock.set_inheritable(True)
    return sockets


def _worker(sockets: list[socket.socket]) -> None:
    """One worker process: its settings from the environment, served until SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches it from the parent, as SIGTERM
    _run(worker_settings(), sockets, (signal.SIGTERM,))


def _run_workers(settings: Settings, sockets: list[socket.socket]) -> int:
    """``settings.workers`` spawned processes on ``sockets``; 0 once a signal stopped them all."""
    export_settings(settings)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(sockets,)) for _ in range(settings.workers)]
    signalled = False

    def stop(*_: object) -> None:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: the worker drains, then ends

    def stop_on_signal(*_: object) -> None:
        nonlocal signalled
        signalled = True
        stop()

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop_on_signal)
    for worker in workers:
        worker.start()
    wait([worker.sentinel for worker in workers])  # all of them on a signal, else one died
    stop()
    for worker in workers:
        worker.join()
    # A worker still importing the app when SIGTERM came ends by it, having served nothing.
    stopped_early = -signal.SIGTERM if signalled else 0
    failed = [w.exitcode for w in workers if w.exitcode and w.exitcode != stopped_early]
    return failed[0] if failed else 0


def serve(settings: Settings) -> int:
    """Serve in this process, or in ``settings.workers`` processes; the exit status."""
    sockets = _bind_all(settings)
    if settings.workers == 1:
        _run(settings, sockets, STOP_SIGNALS)
        return 0
    return _run_workers(settings, sockets)
