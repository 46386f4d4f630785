"""SQLite through aiosqlite, with group commit for writes and batched reads.

Durability: WAL with ``synchronous=FULL``, so a commit is fsynced before it returns. One commit
per request would cap writes at the disk's fsync rate, so writes that arrive together are queued
and run by one writer task in a single ``BEGIN IMMEDIATE`` transaction; every request waits for
its batch's commit. If a batch fails, its writes are replayed one transaction each, so a failure
fails only the request that caused it. Reads use a second connection; WAL lets them run beside
the writer.

Each batch, reads included, crosses to the connection's thread once: aiosqlite's public methods
cross once per statement, and under load those hops (queue, thread wake-up, loop wake-up) cost
more than the queries themselves (measured with bench/run.py).

Before a batch of writes is taken, the event loop gets a few more turns (at most
``GATHER_TURNS``, at most ``GATHER_SECONDS``), so that the requests already received, whose
writes are a turn or two away, join it rather than wait for a commit of their own (PostgreSQL's
``commit_delay`` does the same). Under ``POST /todos`` load with 32 connections that doubled
the writes per commit (about 16 to 32, so half the fsyncs) and cut the CPU time per request by
2-4% (bench/compare.py --together, whose noise here is about 2%); an idle server's write waits a
few microseconds more.

Another process may hold the write lock (a second worker for a moment, a ``sqlite3`` shell for
as long as it likes). SQLite then waits up to its busy timeout (``PLUGIN_DATABASE_BUSY_TIMEOUT``)
and fails with SQLITE_BUSY, before anything is written. That failure belongs to the database,
not to a write: the whole batch is refused with :class:`DatabaseBusyError` (a 503) without
replaying it, and the writes queued behind it get only what is left of their own timeout, so
no write waits for a lock longer than the busy timeout after it was queued.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from ..config import DATABASE_BUSY_TIMEOUT
from .base import DatabaseBusyError
from .migrations import (
    ADD_NAME_COLUMN,
    CORE,
    CREATE_VERSION_TABLE,
    READ_VERSION,
    RECORD_VERSION,
    MigrationFailedError,
    Schema,
)
from .sqlite_operations import SQLiteOperations

__all__ = [
    "Batcher",
    "Operation",
    "Outcome",
    "SQLiteStore",
    "connect",
    "sqlite_schema_version",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
Outcome = tuple[bool, Any]  # (succeeded, the result or the exception)
BatchRunner = Callable[[sqlite3.Connection, list[Operation]], list[Outcome]]
# A batch's busy timeout is rounded up to this, so it is set again only around a busy wait.
BUSY_STEP_MS = 100
GATHER_TURNS = 8
GATHER_SECONDS = 0.002


def _milliseconds(seconds: float) -> int:
    return math.ceil(seconds * 1000)


async def connect(
    path: Path, busy_timeout: float, synchronous: str = "FULL", then: Sequence[str] = ()
) -> aiosqlite.Connection:
    """A WAL connection to ``path`` that waits ``busy_timeout`` s for a lock, after running
    ``then``; closed again if any of it fails."""
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        await connection.execute(f"PRAGMA busy_timeout = {_milliseconds(busy_timeout)}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute(f"PRAGMA synchronous = {synchronous}")
        await connection.execute("PRAGMA foreign_keys = ON")
        for statement in then:
            await connection.execute(statement)
    except BaseException:  # e.g. "file is not a database": its thread would keep the process up
        await connection.close()
        raise
    return connection


async def _read_version(connection: aiosqlite.Connection, schema: Schema) -> int:
    await connection.execute(CREATE_VERSION_TABLE)
    columns = await connection.execute_fetchall("PRAGMA table_info(schema_version)")
    if "plugin" not in {column[1] for column in columns}:
        await connection.execute(ADD_NAME_COLUMN)
    rows = list(await connection.execute_fetchall(READ_VERSION, (schema.name,)))
    return int(rows[0][0])


async def _migrate(connection: aiosqlite.Connection, schemas: Sequence[Schema]) -> None:
    """Every pending step of ``schemas`` in one transaction: all applied, or none."""
    await connection.execute("BEGIN IMMEDIATE")
    try:
        for schema in schemas:
            current = await _read_version(connection, schema)
            for version, statements in schema.pending("sqlite", current):
                try:
                    for statement in statements:
                        await connection.execute(statement)
                except sqlite3.Error as error:
                    raise MigrationFailedError(schema, version, error) from error
                await connection.execute(RECORD_VERSION, (version, schema.name))
                logger.info("%s migrated to version %d", schema.describe(), version)
        await connection.execute("COMMIT")
    except BaseException:
        await connection.execute("ROLLBACK")
        raise


async def sqlite_schema_version(path: Path, schema: Schema = CORE) -> int:
    """The version of ``schema`` in the database at ``path`` (0 when new), without migrating."""
    if not path.exists():
        return 0
    connection = await connect(path, DATABASE_BUSY_TIMEOUT)
    try:
        return await _read_version(connection, schema)
    finally:
        await connection.close()


async def _in_thread(
    connection: aiosqlite.Connection, function: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``function`` with the connection on aiosqlite's thread, in one hop.

    ``_execute`` is the call behind every public aiosqlite method (pinned in
    requirements/run.txt); it takes any callable, which is what a batch needs.
    """
    result: T = await connection._execute(lambda: function(connection._conn))  # type: ignore[no-untyped-call]
    return result


def _is_busy(error: Exception) -> bool:
    """SQLITE_BUSY ("database is locked") in any extended form: another connection's lock."""
    code = getattr(error, "sqlite_errorcode", 0)
    return isinstance(error, sqlite3.OperationalError) and code & 0xFF == sqlite3.SQLITE_BUSY


def _refused() -> Outcome:
    return False, DatabaseBusyError("another connection holds the database's lock")


def _one_by_one(operations: list[Operation], run: Callable[[Operation], Outcome]) -> list[Outcome]:
    """Each on its own, so one failure fails only its request; once the database is busy, the
    rest are refused at once instead of each waiting out the busy timeout again."""
    outcomes: list[Outcome] = []
    for operation in operations:
        busy = bool(outcomes) and isinstance(outcomes[-1][1], DatabaseBusyError)
        outcomes.append(_refused() if busy else run(operation))
    return outcomes


def _each(connection: sqlite3.Connection, operations: list[Operation]) -> list[Outcome]:
    """Reads: each on its own (WAL lets them run while another process writes)."""

    def run(operation: Operation) -> Outcome:
        try:
            return True, operation(connection)
        except Exception as error:
            return _refused() if _is_busy(error) else (False, error)

    return _one_by_one(operations, run)


def _transaction(connection: sqlite3.Connection, operations: list[Operation]) -> list[Any]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        results = [operation(connection) for operation in operations]
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return results


class _BusyTimeout:
    """A connection's busy timeout, lowered for a batch to what is left of its oldest
    operation's, so that nothing waits for a lock longer than ``seconds`` after it was queued."""

    def __init__(self, seconds: float) -> None:
        self._full = self._set = _milliseconds(seconds)  # connect set the full timeout

    def apply(self, connection: sqlite3.Connection, queued: float) -> None:
        """Before a batch whose oldest operation was queued at ``queued`` (time.monotonic)."""
        left = self._full - (time.monotonic() - queued) * 1000
        milliseconds = min(self._full, max(0, math.ceil(left / BUSY_STEP_MS) * BUSY_STEP_MS))
        if milliseconds != self._set:
            connection.execute(f"PRAGMA busy_timeout = {milliseconds}")
            self._set = milliseconds


class Batcher:
    """Runs the operations queued while it was busy together, in one hop to the database thread."""

    def __init__(
        self,
        connection: aiosqlite.Connection,
        run_batch: BatchRunner,
        busy_timeout: float,
        gather: bool = False,
    ) -> None:
        self._connection = connection
        self._run_batch = run_batch
        self._busy_timeout = _BusyTimeout(busy_timeout)
        self._gather = gather  # wait a few turns for more (the module docstring says why)
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._queued = 0.0  # when the oldest pending operation was queued (time.monotonic)
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, operation: Operation) -> Any:
        if self._closing:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if not self._pending:
            self._queued = time.monotonic()
        self._pending.append((operation, future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        self._closing = True
        self._wakeup.set()
        await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self._gather:
                await _more_turns()
            batch, self._pending = self._pending, []
            if batch:
                await self._settle_batch(batch, self._queued)
            elif self._closing:
                return

    async def _settle_batch(
        self, batch: list[tuple[Operation, asyncio.Future[Any]]], queued: float
    ) -> None:
        operations = [operation for operation, _ in batch]

        def run(connection: sqlite3.Connection) -> list[Outcome]:
            self._busy_timeout.apply(connection, queued)
            return self._run_batch(connection, operations)

        try:
            outcomes = await _in_thread(self._connection, run)
        except Exception as error:  # the connection itself failed
            outcomes = [(False, error)] * len(batch)
        for (_, future), (succeeded, value) in zip(batch, outcomes, strict=True):
            if future.done():  # the request was cancelled; its write stands or falls with the batch
                continue
            if succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)


async def _more_turns() -> None:
    loop = asyncio.get_running_loop()
    until = loop.time() + GATHER_SECONDS
    for _ in range(GATHER_TURNS):
        await asyncio.sleep(0)
        if loop.time() >= until:
            return


class _GroupCommit:
    """The writer's batch: one ``BEGIN IMMEDIATE`` transaction, replayed one by one on failure."""

    def __init__(self) -> None:
        self.writes = self.transactions = 0  # how well batching works, logged at close

    def __call__(
        self, connection: sqlite3.Connection, operations: list[Operation]
    ) -> list[Outcome]:
        try:
            self.transactions += 1
            results = _transaction(connection, operations)
        except Exception as error:
            if _is_busy(error):  # the database's failure, not a write's: no replay
                logger.warning(
                    "database locked by another connection: %d writes refused", len(operations)
                )
                return [_refused() for _ in operations]
            if len(operations) == 1:
                if isinstance(error, sqlite3.IntegrityError) or not isinstance(
                    error, sqlite3.Error
                ):  # the write's own (a constraint, a handler's code): raised where asked
                    return [(False, error)]
                logger.exception("write failed")
                return [(False, sqlite3.OperationalError("write failed"))]
            logger.warning(
                "a batch of %d writes failed; replaying them one by one", len(operations)
            )
            return _one_by_one(operations, lambda operation: self(connection, [operation])[0])
        self.writes += len(operations)
        return [(True, result) for result in results]


class SQLiteStore(SQLiteOperations):
    """The embedded store: one writer connection with group commit, one reader connection."""

    def __init__(
        self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, busy_timeout: float
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._group_commit = _GroupCommit()
        self._committer = Batcher(writer, self._group_commit, busy_timeout, gather=True)
        self._reads = Batcher(reader, _each, busy_timeout)

    @classmethod
    async def open(
        cls,
        path: Path,
        busy_timeout: float = DATABASE_BUSY_TIMEOUT,
        schemas: Sequence[Schema] = (CORE,),
    ) -> SQLiteStore:
        """Open (and migrate to ``schemas``) the file; its connections wait ``busy_timeout`` s
        for a lock."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await connect(path, busy_timeout)
        try:
            await _migrate(writer, schemas)
        except BaseException:
            await writer.close()
            raise
        reader = await connect(path, busy_timeout)
        return cls(writer, reader, busy_timeout)

    async def close(self) -> None:
        await self._committer.close()
        await self._reads.close()
        commit = self._group_commit
        logger.info(
            "group commit: %d writes in %d transactions", commit.writes, commit.transactions
        )
        await self._reader.close()
        await self._writer.close()
