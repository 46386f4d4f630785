"""One access line per request, cheap enough to leave on, and the console's recent calls.

Hypercorn's own access log formats many atoms per request and cost about 30% of throughput when
measured; this line has five fields and is formatted only if the logger is enabled. It is still a
record of the ``plugin.access`` logger (so handlers, levels and capture work as for any log), but
not one made by ``logger.info``, which walks the stack for the calling file and line, nor by
``makeRecord``, which works out again on every call the fields that never change for this line
(file name, module, function, process): the record starts as a copy of a template holding them,
and only the message and times are set (see bench/run.py for what each cost). The query string
is never logged: OAuth codes and tokens travel there. The path is escaped to printable text
(log_output.printable) whichever handler writes it: it is the client's, newlines and all.
"""

from __future__ import annotations

import logging
import time

from .asgi import Scope
from .log_output import printable
from .recent_calls import RecentCalls

__all__ = ["AccessLog"]

logger = logging.getLogger("plugin.access")


_TEMPLATE = logging.LogRecord(logger.name, logging.INFO, __file__, 0, "", (), None, "access")


class _AccessRecord(logging.LogRecord):
    """A ``plugin.access`` INFO record: the template's fields, then its own message and times."""

    template = _TEMPLATE.__dict__.copy()
    logging_started = _TEMPLATE.created - _TEMPLATE.relativeCreated / 1000  # relativeCreated's 0

    def __init__(self, message: str) -> None:  # LogRecord's own __init__ is not called
        self.__dict__.update(self.template)
        self.msg = message
        created = time.time()
        self.created = created
        self.msecs = int((created - int(created)) * 1000) + 0.0
        self.relativeCreated = (created - self.logging_started) * 1000


class AccessLog:
    """What the edge layer (edge.py) reports each answered request to."""

    def __init__(self, recent: RecentCalls | None, log_lines: bool) -> None:
        self._recent = recent
        self._log_lines = log_lines

    @property
    def enabled(self) -> bool:
        return self._recent is not None or (self._log_lines and logger.isEnabledFor(logging.INFO))

    def record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        method: str = scope["method"]
        path: str = scope["path"]
        if self._recent is not None:
            self._recent.record(method, path, status, elapsed)
        if self._log_lines and logger.isEnabledFor(logging.INFO):
            client = scope.get("client")
            address = client[0] if client else "-"
            line = f"{address} {method} {printable(path)} {status} {elapsed:.1f}ms"
            logger.handle(_AccessRecord(line))
