"""The ASGI server the app runs on (``PLUGIN_SERVER``), chosen here and nowhere else.

Each server has a module of its own with one job, turning ``Settings`` into that server's
start-up: ``hypercorn`` (the default) and ``uvicorn`` (with httptools, about twice the requests a
second on one core; docs/production.md says when to pick which). What they must do alike lives
here: the ports, the app each process serves, its event loop, the timeouts, and how a worker
process starts (its settings from the environment, the CLI's logging).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import replace
from importlib import import_module

from quart import Quart

from ..app import create_app
from ..config import Settings, load_settings
from ..log_output import configure_logging as configure_log_output

__all__ = [
    "GRACEFUL_SECONDS",
    "KEEP_ALIVE_SECONDS",
    "bind",
    "configure_logging",
    "export_settings",
    "loop_factory",
    "serve",
    "serving_app",
    "worker_environ",
    "unbindable",
    "worker_app",
    "worker_settings",
]

GRACEFUL_SECONDS = 10  # how long SIGTERM waits for requests in flight before cancelling them
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this


def serve(settings: Settings) -> int:
    """Serve the app on ``settings.server`` until SIGTERM or SIGINT; the exit status."""
    server = import_module(f"{__name__}.{settings.server}")
    status: int = server.serve(settings)
    return status


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` as both servers bind theirs (SO_REUSEADDR)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def unbindable(settings: Settings) -> str | None:
    """Why a port of ``settings`` cannot be bound, in one line; None when every one can.

    Asked before either server starts: on a port in use Hypercorn 0.18 hangs (and ignores
    SIGTERM), uvicorn would end with a traceback."""
    ports = {"port": settings.port, "redirect_http_port": settings.redirect_http_port}
    for name, port in ports.items():
        if port:
            try:
                bind(settings.host, port).close()
            except OSError as error:
                where = f"{port} cannot be bound on {settings.host}"
                return f"PLUGIN_{name.upper()} {where}: {error.strerror}"
    return None


def configure_logging(level: str) -> None:
    """The CLI's logging, in the CLI's process and in each worker process."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is ours
    configure_log_output(level)


def serving_app(settings: Settings | None = None) -> Quart:
    """The app a serving process runs (each worker's too), with its start-up objects frozen.

    Modules, routes and settings live as long as the process, yet the cyclic garbage collector
    walked them again on every full collection: about a tenth of each request's CPU time
    (bench/run.py). ``gc.freeze`` moves them out of its sight; nothing is leaked, as they are
    never garbage."""
    app = create_app(settings)
    gc.freeze()
    return app


def worker_environ(settings: Settings) -> dict[str, str]:
    """The ``PLUGIN_*`` variables worker processes rebuild ``settings`` from, with one MCP state
    secret drawn for all of them when none is set: a confirmation one worker asks, another
    may receive the answer to."""
    if not settings.mcp_state_secret:
        settings = replace(settings, mcp_state_secret=secrets.token_urlsafe(32))
    return settings.to_environ()


def export_settings(settings: Settings) -> None:
    """Put every setting in this process's environment, for the worker processes it spawns."""
    os.environ.update(worker_environ(settings))


def worker_settings() -> Settings:
    """A worker process's settings, from the ``PLUGIN_*`` its parent set, with the CLI's logging.

    Worker processes are spawned: nothing of the parent's logging set-up reaches them."""
    settings = load_settings(os.environ)
    configure_logging(settings.log_level)
    return settings


def worker_app() -> Quart:
    """The app of one Hypercorn worker process (``plugin.serving:worker_app()``)."""
    return serving_app(worker_settings())


def loop_factory(event_loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, or None for asyncio's own.

    uvloop (libuv, in C) does the same work as asyncio's selector loop for less CPU. The loop is
    a small share of a request here: loaded side by side on one core, a bare answer on
    Hypercorn served 4-10% more requests a second on uvloop, our cached manifest 1.6% more
    (docs/performance.md)."""
    if event_loop != "uvloop":
        return None
    import uvloop  # only where it is chosen: it does not build on Windows

    return uvloop.new_event_loop
