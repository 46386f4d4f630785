"""One access line per request, cheap enough to leave on, and the console's recent calls.

Hypercorn's own access log formats many atoms per request and cost about 30% of throughput when
measured; this line has five fields and is formatted only if the logger is enabled. It is still a
record of the ``plugin.access`` logger (so handlers, levels and capture work as for any log), but
built with ``makeRecord`` and handed to ``handle`` directly: ``logger.info`` would also walk the
stack to find the calling file and line, which an access line never shows and which cost a
quarter of the line's price (bench/run.py). The query string is never logged: OAuth codes and
tokens travel there.
"""

from __future__ import annotations

import logging
import time

from .asgi import ASGIApp, Receive, Scope, Send
from .recent_calls import RecentCalls

__all__ = ["AccessLogMiddleware"]

logger = logging.getLogger("plugin.access")


class AccessLogMiddleware:
    def __init__(
        self, app: ASGIApp, recent: RecentCalls | None = None, log_lines: bool = True
    ) -> None:
        self._app = app
        self._recent = recent
        self._log_lines = log_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        logging_on = self._log_lines and logger.isEnabledFor(logging.INFO)
        if scope["type"] != "http" or not (logging_on or self._recent is not None):
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_record(message: dict[str, object]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]  # type: ignore[assignment]
            await send(message)

        try:
            await self._app(scope, receive, send_and_record)  # type: ignore[arg-type]
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if self._recent is not None:
                self._recent.record(scope["method"], scope["path"], status, elapsed)
            if logging_on:
                client = scope.get("client")
                line = f"{client[0] if client else '-'} {scope['method']} {scope['path']} {status} "
                logger.handle(
                    logger.makeRecord(
                        logger.name, logging.INFO, __file__, 0, f"{line}{elapsed:.1f}ms", (), None
                    )
                )
