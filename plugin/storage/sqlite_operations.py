"""How :class:`~plugin.storage.sqlite.SQLiteStore` runs the shared operations (queries.py).

Synchronously, on the thread of the connection its batcher hands them to: the writer runs a
whole batch of operations inside one transaction in one hop, so the group commit works the same
whatever the operation, and the reader answers the reads queued together in one hop too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, ParamSpec, Protocol, TypeVar

from .queries import Operation, Query, Row, advance
from .sql import SQLStore

__all__ = ["SQLiteOperations"]

P = ParamSpec("P")
T = TypeVar("T")


class _Queue(Protocol):
    """sqlite.py's batcher: runs what is submitted on its connection's thread, a batch a hop."""

    async def submit(self, operation: Callable[[sqlite3.Connection], Any]) -> Any: ...

    async def close(self) -> None: ...


def _execute(connection: sqlite3.Connection, query: Query) -> list[Row]:
    if query.many:
        connection.executemany(query.sql, query.parameters)
        return []
    # fetchall, not fetchone: a RETURNING statement finishes only when fully read.
    return connection.execute(query.sql, query.parameters).fetchall()


def _run(connection: sqlite3.Connection, operation: Operation[T]) -> T:
    step = advance(operation, None)
    while isinstance(step, Query):
        step = advance(operation, _execute(connection, step))
    return step.result


async def _submit(batcher: _Queue, operation: Callable[[], Operation[T]]) -> T:
    # A new generator each time it is called: a failed batch's writes are run again one by one.
    result: T = await batcher.submit(lambda connection: _run(connection, operation()))
    return result


class SQLiteOperations(SQLStore):
    _committer: _Queue  # the writer: group commit
    _reads: _Queue

    async def _read(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await _submit(self._reads, partial(operation, *args, **kwargs))

    async def _write(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await _submit(self._committer, partial(operation, *args, **kwargs))

    async def _run_statement(self, query: Query, write: bool) -> list[Row]:
        # One statement needs no generator, partial and lambda around it on its way to the
        # connection's thread (bench/README.md, "What a request leaves behind").
        rows: list[Row] = await (self._committer if write else self._reads).submit(
            partial(_execute, query=query)
        )
        return rows
