"""The CLI's log handler: lines written in batches, the access line among them as a record."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from plugin.access_log import AccessLog
from plugin.log_output import FLUSH_SECONDS, MAX_LINES, buffered_handler

LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO plugin\.access: 10\.0\.0\.7 GET /todos/ann 200 "
    r"\d+\.\dms"
)


@contextmanager
def cli_handler_only() -> Iterator[io.StringIO]:
    """``plugin.access`` logging only to the CLI's handler, as in a served process.

    Entered in the test itself: pytest adds its capture handlers when the test starts."""
    access = logging.getLogger("plugin.access")
    saved = access.handlers[:], access.propagate, access.level
    output = io.StringIO()
    access.handlers[:] = [buffered_handler(output)]
    access.propagate = False
    access.setLevel(logging.INFO)
    try:
        yield output
    finally:
        access.handlers[:], access.propagate = saved[0], saved[1]
        access.setLevel(saved[2])


SCOPE = {"method": "GET", "path": "/todos/ann", "client": ("10.0.0.7", 5555)}


async def test_the_access_line_is_batched_in_the_record_format() -> None:
    access = logging.getLogger("plugin.access")
    with cli_handler_only() as stream:
        AccessLog(None, log_lines=True).record(SCOPE, 200, 0.0)
        await asyncio.sleep(0)
        assert stream.getvalue() == "", "written with the lines that follow, not at once"
        await asyncio.sleep(FLUSH_SECONDS + 0.05)
        (line,) = stream.getvalue().splitlines()
        assert LINE.fullmatch(line), line
        # The same message logged the usual way: the same text but the time.
        access.info("%s", line.split(": ", 1)[1])
        await asyncio.sleep(FLUSH_SECONDS + 0.05)
        via_info = stream.getvalue().splitlines()[1]
    assert via_info.split(" ", 2)[2] == line.split(" ", 2)[2]


async def test_any_other_listener_gets_the_record_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    access = logging.getLogger("plugin.access")
    with cli_handler_only() as stream:
        access.propagate = True  # caplog's handler sits on the root logger too
        AccessLog(None, log_lines=True).record(SCOPE, 200, 0.0)
        await asyncio.sleep(FLUSH_SECONDS + 0.05)
        assert LINE.fullmatch(stream.getvalue().strip())  # the CLI's handler has its line too
    (record,) = [record for record in caplog.records if record.name == "plugin.access"]
    assert " GET /todos/ann 200 " in record.getMessage()


async def test_filters_and_levels_still_decide_whether_the_line_is_written() -> None:
    """The line goes straight to the CLI's handler only where nothing could have stopped it."""
    access = logging.getLogger("plugin.access")
    with cli_handler_only() as stream:
        (handler,) = access.handlers
        refuse = logging.Filter("elsewhere")  # passes only records of "elsewhere"
        for holder in (handler, access):
            holder.addFilter(refuse)
            AccessLog(None, log_lines=True).record(SCOPE, 200, 0.0)
            holder.removeFilter(refuse)
        handler.setLevel(logging.WARNING)
        AccessLog(None, log_lines=True).record(SCOPE, 200, 0.0)
        handler.setLevel(logging.NOTSET)
        AccessLog(None, log_lines=True).record(SCOPE, 201, 0.0)
        await asyncio.sleep(FLUSH_SECONDS + 0.05)
        (line,) = stream.getvalue().splitlines()
    assert " 201 " in line


async def test_the_line_is_the_same_with_or_without_a_record() -> None:
    """Alone, the CLI's handler is handed the line; beside another handler, a record is made."""
    access = logging.getLogger("plugin.access")
    scope = {**SCOPE, "path": "/todos/a\nb\x1b\u2028"}
    written = []
    for beside in (None, logging.StreamHandler(io.StringIO())):
        with cli_handler_only() as stream:
            if beside is not None:
                access.addHandler(beside)
            AccessLog(None, log_lines=True).record(scope, 200, 0.0)
            await asyncio.sleep(FLUSH_SECONDS + 0.05)
            (line,) = stream.getvalue().splitlines()
        written.append(line.split(" ", 2)[2].rsplit(" ", 1)[0])  # past the time, to the status
    assert written[0] == written[1]
    assert written[0] == "INFO plugin.access: 10.0.0.7 GET /todos/a\\x0ab\\x1b\\u2028 200"


async def test_warnings_and_a_full_buffer_are_written_at_once() -> None:
    access = logging.getLogger("plugin.access")
    with cli_handler_only() as stream:
        access.info("waiting")
        access.warning("now")
        assert stream.getvalue().splitlines()[-1].endswith(" WARNING plugin.access: now")
        assert len(stream.getvalue().splitlines()) == 2, "the line before it goes too, in order"
        for number in range(MAX_LINES):
            access.info("line %d", number)
        assert stream.getvalue().splitlines()[-1].endswith(f" line {MAX_LINES - 1}")


def test_a_flush_pending_on_an_ended_loop_does_not_hold_back_the_next_loops_lines() -> None:
    """The CLI checks the database in a loop of its own before the server's loop starts."""
    access = logging.getLogger("plugin.access")

    async def log_and_leave() -> None:
        access.info("from the first loop")

    async def log_and_wait() -> None:
        access.info("from the second loop")
        await asyncio.sleep(FLUSH_SECONDS + 0.05)

    with cli_handler_only() as stream:
        asyncio.run(log_and_leave())
        asyncio.run(log_and_wait())
        assert stream.getvalue().splitlines()[-1].endswith(" from the second loop")
