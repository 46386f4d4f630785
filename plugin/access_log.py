"""One access line per request, cheap enough to leave on, and the console's recent calls.

Hypercorn's own access log formats many atoms per request and cost about 30% of throughput when
measured; this line has five fields and is formatted only if the logger is enabled. It is a
record of the ``plugin.access`` logger (so handlers, levels, filters and capture work as for any
log), made without ``logger.info``, which walks the stack for the calling file and line, and
without ``makeRecord``, which works out again the fields that never change for this line: the
record starts as a copy of a template holding them. Where no record is needed, none is made:
when the CLI's handler is the only one the line can reach, with no filter on the way
(log_output.sole_handler), the line is handed to it directly, the text its record would have
given (bench/README.md says what each step cost). The query string is never logged: OAuth codes
and tokens travel there. The path is escaped to printable text (log_output.printable) whichever
handler writes it: it is the client's, newlines and all.
"""

from __future__ import annotations

import logging
import time

from .asgi import Scope
from .log_output import printable, sole_handler
from .recent_calls import RecentCalls

__all__ = ["AccessLog"]

logger = logging.getLogger("plugin.access")


_TEMPLATE = logging.LogRecord(logger.name, logging.INFO, __file__, 0, "", (), None, "access")


class _AccessRecord(logging.LogRecord):
    """A ``plugin.access`` INFO record: the template's fields, then its own message and times."""

    template = _TEMPLATE.__dict__.copy()
    logging_started = _TEMPLATE.created - _TEMPLATE.relativeCreated / 1000  # relativeCreated's 0

    def __init__(self, message: str) -> None:  # LogRecord's own __init__ is not called
        created = time.time()
        fields = self.template.copy()  # a copy, not an update: one pass, no resizing
        fields["msg"] = message
        fields["created"] = created
        fields["msecs"] = int((created - int(created)) * 1000) + 0.0
        fields["relativeCreated"] = (created - self.logging_started) * 1000
        self.__dict__ = fields


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
            handler = sole_handler(logger)
            if handler is not None:
                handler.add_info(logger.name, line)
            else:
                logger.handle(_AccessRecord(line))
