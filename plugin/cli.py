"""The command line: ``python main.py [serve]``; the only place that reads the environment
and configures logging (in worker processes, ``plugin.serving`` does both on its behalf)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from . import accounts_cli, db_cli, devloop_commands, scaffold, serving
from .config import AUTH_MODES, SERVERS, ConfigError, Settings, load_settings
from .operations import check_at_startup
from .serving import serving_app  # the factory to give another launcher (--factory)

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
    servers = " or ".join(SERVERS)
    parser.add_argument("--server", default=default, help=f"{servers} (PLUGIN_SERVER)")
    parser.add_argument("--database", default=default, help="SQLite file (PLUGIN_DATABASE)")
    parser.add_argument("--root", default=default, help="plugin files folder (PLUGIN_ROOT)")
    parser.add_argument("--public-url", default=default, help="public base URL (PLUGIN_PUBLIC_URL)")
    parser.add_argument(
        "--auth", default=default, choices=AUTH_MODES, help="auth mode (PLUGIN_AUTH)"
    )
    parser.add_argument("--log-level", default=default, help="DEBUG, INFO, ... (PLUGIN_LOG_LEVEL)")
    parser.add_argument("--certfile", default=default, help="TLS certificate (PLUGIN_CERTFILE)")
    parser.add_argument("--keyfile", default=default, help="TLS private key (PLUGIN_KEYFILE)")


def run_server(settings: Settings, args: argparse.Namespace) -> int:
    status = check_at_startup(settings) or db_cli.prepare_database(settings)
    if status:
        return status
    problem = serving.unbindable(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    scheme = "https" if settings.certfile else "http"
    logger.info(
        "serving on %s://%s:%d (server %s, auth %s, event loop %s)",
        scheme,
        settings.host,
        settings.port,
        settings.server,
        settings.auth,
        settings.event_loop,
    )
    if settings.upstream:
        logger.info("proxy mode: forwarding to %s", settings.upstream_shown)
    return serving.serve(settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    known = {f.name for f in fields(Settings)}
    flags: dict[str, Any] = {key: value for key, value in vars(args).items() if key in known}
    try:
        settings = load_settings(os.environ, flags, args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    serving.configure_logging(settings.log_level)
    handler: Handler = args.handler
    return handler(settings, args)
