"""Where the server's log lines go: stderr, written in batches from the event loop.

The access line is one record per request, so what each record costs is paid per request. With
the standard ``StreamHandler`` a line cost about 8.7 us here: a ``write`` and ``flush`` system
call per line, ``time.strftime`` for its timestamp, and thread and process names that the format
never shows. This handler keeps the lines and writes them together, at most ``FLUSH_SECONDS``
after the first of them (at once for a warning or worse, for a full buffer, and when no loop
runs in the logging thread); the timestamp's seconds are formatted once per second, and records
skip the names. Writing once per loop iteration instead still cost a ``write`` every two or
three requests under load: the access line and the console's record measured 11 us of a cached
manifest answer's 187 (A/B with both off). Nothing is lost at exit: ``logging.shutdown`` flushes
every handler, after the loop is gone; a ``kill -9`` loses at most the last ``FLUSH_SECONDS``.

The access line is still the biggest piece of a cached manifest answer above what Hypercorn
itself costs, so the formatter fills in its one format directly rather than through the generic
steps, and a logger whose lines can reach only this handler may hand it the line without a
record (:func:`sole_handler`, the handler's ``add_info``); bench/README.md has the counts.

A message is one line whatever a client put in it: :func:`printable` escapes control characters
(an encoded newline in a path would otherwise forge a line, a NUL make the file binary), in every
message this formatter writes; tracebacks keep their lines.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO

__all__ = ["buffered_handler", "configure_logging", "printable", "sole_handler"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FLUSH_SECONDS = 0.1  # how late an info line may reach the log
MAX_LINES = 512  # written at once when this many are waiting
_MILLISECONDS = tuple(f",{ms:03d}" for ms in range(1000))  # a timestamp's tail, made once


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with each character that is not printable (newlines, NUL, ESC, U+2028, a lone
    surrogate...) written as its escape: ``\\n`` as ``\\x0a``. Free for the usual text."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


class _LineFormatter(logging.Formatter):
    """``FORMAT``, with the standard ``asctime`` (``2026-11-22 19:33:12,123``) whose seconds are
    formatted once; messages escaped to one line of printable text."""

    _second = -1
    _text = ""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """``FORMAT`` filled in as ``Formatter.format`` does, with its fields written directly
        (about a third of an access line's cost went to the generic steps)."""
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = message = printable(record.getMessage())
        record.asctime = asctime = self.timestamp(record.created)
        return self.line(asctime, record.levelname, record.name, message)

    @staticmethod
    def line(asctime: str, levelname: str, name: str, message: str) -> str:
        """``FORMAT`` with these fields."""
        return f"{asctime} {levelname} {name}: {message}"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self.timestamp(record.created)

    def timestamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(created))
            self._second = second
        return self._text + _MILLISECONDS[int((created - second) * 1000)]


class _LoopBufferedHandler(logging.StreamHandler[TextIO]):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._scheduled_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            self._lines.append(self.format(record))
        except Exception:
            self.handleError(record)
            return
        self._schedule_flush(urgent=record.levelno >= logging.WARNING)

    def add_info(self, name: str, message: str) -> None:
        """An INFO line of logger ``name``, now, written as its record would be but without
        making one: for a logger whose records reach this handler alone (:func:`sole_handler`)."""
        formatter: _LineFormatter = self.formatter  # type: ignore[assignment]
        line = formatter.line(formatter.timestamp(time.time()), "INFO", name, printable(message))
        with self.lock:  # type: ignore[union-attr]
            self._lines.append(line)
            self._schedule_flush(urgent=False)

    def _schedule_flush(self, urgent: bool) -> None:
        if urgent or len(self._lines) >= MAX_LINES:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread (start-up, aiosqlite's threads): now
            self.flush()
            return
        # A flush is pending on this loop already; one pending on a loop that has ended since
        # (the start-up database check runs its own) will never come.
        if self._scheduled_on is not loop:
            loop.call_later(FLUSH_SECONDS, self.flush)
            self._scheduled_on = loop

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._scheduled_on = None
            if not self._lines:
                return
            text = "\n".join(self._lines) + "\n"
            self._lines.clear()
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:
                pass  # as StreamHandler: a closed or broken stderr must not stop the server


def sole_handler(logger: logging.Logger) -> _LoopBufferedHandler | None:
    """The CLI's handler when it is the one place ``logger``'s INFO records go, with no filter
    on the way: then a line handed to it directly is all that any handler would see.

    A test's log capture or a handler of the user's own makes this None, and records are made."""
    if logger.filters or logger.disabled:
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if (
                found is not None
                or not isinstance(handler, _LoopBufferedHandler)
                or not isinstance(handler.formatter, _LineFormatter)
                or handler.filters
                or handler.level > logging.INFO
            ):
                return None
            found = handler
        current = current.parent if current.propagate else None
    return found


def buffered_handler(stream: TextIO) -> logging.Handler:
    """The CLI's handler, writing to ``stream``."""
    handler = _LoopBufferedHandler(stream)
    handler.setFormatter(_LineFormatter())
    return handler


def configure_logging(level: str) -> None:
    """The CLI's logging: ``level`` and up, to stderr, through the buffered handler."""
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.basicConfig(level=level, handlers=[buffered_handler(sys.stderr)])
