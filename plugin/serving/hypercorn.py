"""Serving on Hypercorn (``PLUGIN_SERVER=hypercorn``, the default): HTTP/1.1 and HTTP/2."""

from __future__ import annotations

import asyncio
import logging
import time

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from hypercorn.run import run as run_workers

from ..config import Settings
from . import GRACEFUL_SECONDS, KEEP_ALIVE_SECONDS, export_settings, loop_factory, serving_app

__all__ = ["hypercorn_config", "serve"]


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Config(Config):
    """Hypercorn's configuration, with the headers it adds to every answer made once a second.

    ``response_headers`` is where Hypercorn adds its ``Date`` (and ``Server``, off here) to each
    answer, its own errors included; it formatted the date for every request."""

    def __init__(self) -> None:
        super().__init__()
        # protocol: (the second they were made in, the headers)
        self._made: dict[str, tuple[int, list[tuple[bytes, bytes]]]] = {}

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        """``Config.response_headers``, formatted again only when the second changes."""
        second = int(time.time())
        made = self._made.get(protocol)
        if made is None or made[0] != second:
            made = self._made[protocol] = (second, super().response_headers(protocol))
        return list(made[1])


def hypercorn_config(settings: Settings) -> Config:
    """Hypercorn's configuration for these settings."""
    config = _Config()
    config.bind = [_address(settings.host, settings.port)]
    if settings.certfile:
        # Hypercorn's context refuses anything older than TLS 1.2 and offers h2 and http/1.1.
        config.certfile, config.keyfile = settings.certfile, settings.keyfile
    if settings.redirect_http_port:
        config.insecure_bind = [_address(settings.host, settings.redirect_http_port)]
    config.accesslog = None  # our own access line is cheaper; see plugin.access_log
    config.include_server_header = False  # no software named to every client (nor written)
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = GRACEFUL_SECONDS
    config.keep_alive_timeout = KEEP_ALIVE_SECONDS
    return config


def serve(settings: Settings) -> int:
    """Serve in this process, or in ``settings.workers`` processes; the exit status."""
    config = hypercorn_config(settings)
    if settings.workers == 1:
        # hypercorn.asyncio.serve installs SIGINT/SIGTERM handlers that drain requests first.
        with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
            runner.run(hypercorn_serve(serving_app(settings), config))
        return 0
    export_settings(settings)
    config.workers = settings.workers
    config.worker_class = settings.event_loop  # Hypercorn's names: "uvloop", "asyncio"
    config.application_path = "plugin.serving:worker_app()"
    return run_workers(config)
