"""The command line: ``python main.py [serve]``; the only place that reads the environment
and configures logging."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.run import run as run_workers
from quart import Quart

from . import accounts_cli, db_cli, devloop_commands, scaffold
from .app import create_app
from .config import AUTH_MODES, ConfigError, Settings, load_settings
from .log_output import configure_logging
from .operations import check_at_startup

__all__ = ["add_serve_flags", "main", "run_server", "serving_app"]

logger = logging.getLogger(__name__)

Handler = Callable[[Settings, argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction, which it does not export

# Each feature adds its subcommands here: a function that adds parsers to ``commands`` and sets
# ``handler`` (a Handler) on each with ``set_defaults``.
COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    accounts_cli.register,
    db_cli.register,
    devloop_commands.register,
    scaffold.register,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="A ChatGPT plugin and GPT Action server. Settings: flags > PLUGIN_* "
        "environment variables > --config file (TOML) > defaults.",
    )
    parser.add_argument("--config", type=Path, help="a TOML file of settings (PLUGIN_CONFIG)")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve", help="run the server (the default)")
    add_serve_flags(serve_parser)
    serve_parser.set_defaults(handler=run_server)
    for register in COMMANDS:
        register(commands)
    add_serve_flags(parser)
    parser.set_defaults(handler=run_server)
    return parser


def add_serve_flags(parser: argparse.ArgumentParser) -> None:
    default = argparse.SUPPRESS
    parser.add_argument("--host", default=default, help="address to bind (PLUGIN_HOST)")
    parser.add_argument("--port", default=default, help="port to bind (PLUGIN_PORT)")
    parser.add_argument("--workers", default=default, help="worker processes (PLUGIN_WORKERS)")
    parser.add_argument("--database", default=default, help="SQLite file (PLUGIN_DATABASE)")
    parser.add_argument("--root", default=default, help="plugin files folder (PLUGIN_ROOT)")
    parser.add_argument("--public-url", default=default, help="public base URL (PLUGIN_PUBLIC_URL)")
    parser.add_argument(
        "--auth", default=default, choices=AUTH_MODES, help="auth mode (PLUGIN_AUTH)"
    )
    parser.add_argument("--log-level", default=default, help="DEBUG, INFO, ... (PLUGIN_LOG_LEVEL)")
    parser.add_argument("--certfile", default=default, help="TLS certificate (PLUGIN_CERTFILE)")
    parser.add_argument("--keyfile", default=default, help="TLS private key (PLUGIN_KEYFILE)")


def _configure_logging(level: str) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is ours
    configure_logging(level)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _ServerConfig(HypercornConfig):
    """Hypercorn's configuration, with each second's ``Date`` header formatted once.

    Hypercorn formats the date (``wsgiref``'s ``format_date_time``) for every response, about
    1% of a cached manifest answer (py-spy under bench/run.py); the headers are the same for a
    whole second, so they are built once per second and per protocol."""

    _second = -1.0
    _headers: dict[str, list[tuple[bytes, bytes]]]

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        second = time.time() // 1
        if second != self._second:
            self._second, self._headers = second, {}
        cached = self._headers.get(protocol)
        if cached is None:
            cached = self._headers[protocol] = super().response_headers(protocol)
        return list(cached)  # callers extend the list they get


def _hypercorn_config(settings: Settings) -> HypercornConfig:
    config = _ServerConfig()
    config.bind = [_address(settings.host, settings.port)]
    if settings.certfile:
        # Hypercorn's context refuses anything older than TLS 1.2 and offers h2 and http/1.1.
        config.certfile, config.keyfile = settings.certfile, settings.keyfile
    if settings.redirect_http_port:
        config.insecure_bind = [_address(settings.host, settings.redirect_http_port)]
    config.accesslog = None  # our own access line is cheaper; see plugin.access_log
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = 10
    return config


def serving_app(settings: Settings | None = None) -> Quart:
    """The app a serving process runs (each worker's too), with its start-up objects frozen.

    Modules, routes and settings live as long as the process, yet the cyclic garbage collector
    walked them again on every full collection: about a tenth of each request's CPU time
    (bench/run.py). ``gc.freeze`` moves them out of its sight; nothing is leaked, as they are
    never garbage."""
    app = create_app(settings)
    gc.freeze()
    return app


def _loop_factory(event_loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, or None for asyncio's own.

    uvloop (libuv, in C) does the same work as asyncio's selector loop for less CPU. The loop is
    a small share of a request here: loaded side by side on one core, a bare answer on
    Hypercorn served 4-10% more requests a second on uvloop, our cached manifest 1.6% more
    (docs/performance.md)."""
    if event_loop != "uvloop":
        return None
    import uvloop  # only where it is chosen: it does not build on Windows

    return uvloop.new_event_loop


def worker_environ(settings: Settings) -> dict[str, str]:
    """The ``PLUGIN_*`` variables worker processes rebuild ``settings`` from, with one MCP state
    secret drawn for all of them when none is set: a confirmation one worker asks, another
    may receive the answer to."""
    if not settings.mcp_state_secret:
        settings = replace(settings, mcp_state_secret=secrets.token_urlsafe(32))
    return settings.to_environ()


def run_server(settings: Settings, args: argparse.Namespace) -> int:
    status = check_at_startup(settings) or db_cli.prepare_database(settings)
    if status:
        return status
    config = _hypercorn_config(settings)
    scheme = "https" if settings.certfile else "http"
    logger.info(
        "serving on %s://%s:%d (auth %s, event loop %s)",
        scheme,
        settings.host,
        settings.port,
        settings.auth,
        settings.event_loop,
    )
    if settings.upstream:
        logger.info("proxy mode: forwarding to %s", settings.upstream_shown)
    if settings.workers == 1:
        # hypercorn.asyncio.serve installs SIGINT/SIGTERM handlers that drain requests first.
        with asyncio.Runner(loop_factory=_loop_factory(settings.event_loop)) as runner:
            runner.run(serve(serving_app(settings), config))
        return 0
    # Worker processes are spawned and rebuild the settings from the environment.
    os.environ.update(worker_environ(settings))
    config.workers = settings.workers
    config.worker_class = settings.event_loop  # Hypercorn's names: "uvloop", "asyncio"
    config.application_path = "plugin.cli:serving_app()"
    return run_workers(config)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    known = {f.name for f in fields(Settings)}
    flags: dict[str, Any] = {key: value for key, value in vars(args).items() if key in known}
    try:
        settings = load_settings(os.environ, flags, args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    handler: Handler = args.handler
    return handler(settings, args)
