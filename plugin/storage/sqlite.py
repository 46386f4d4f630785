"""SQLite through aiosqlite, with group commit for writes.

Durability: WAL with ``synchronous=FULL``, so a commit is fsynced before it returns. One commit
per request would cap writes at the disk's fsync rate, so writes that arrive together are queued
and run by one writer task in a single ``BEGIN IMMEDIATE`` transaction; every request waits for
its batch's commit. If a batch fails, its writes are replayed one transaction each, so a failure
fails only the request that caused it. Reads use a second connection; WAL lets them run beside
the writer.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from .migrations import CREATE_VERSION_TABLE, READ_VERSION, pending_steps
from .sql import Operation, SQLStore

__all__ = ["SQLiteStore", "sqlite_schema_version"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000


async def _connect(path: Path) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = ON")
    except BaseException:  # e.g. "file is not a database": its thread would keep the process up
        await connection.close()
        raise
    return connection


async def _read_version(connection: aiosqlite.Connection) -> int:
    await connection.execute(CREATE_VERSION_TABLE)
    rows = list(await connection.execute_fetchall(READ_VERSION))
    return int(rows[0][0])


async def _migrate(connection: aiosqlite.Connection) -> None:
    await connection.execute("BEGIN IMMEDIATE")
    try:
        for version, statements in pending_steps("sqlite", await _read_version(connection)):
            for statement in statements:
                await connection.execute(statement)
            await connection.execute("INSERT INTO schema_version VALUES (?)", (version,))
            logger.info("database migrated to schema version %d", version)
        await connection.execute("COMMIT")
    except BaseException:
        await connection.execute("ROLLBACK")
        raise


async def sqlite_schema_version(path: Path) -> int:
    """The schema version of the database at ``path`` (0 when new), without migrating it."""
    if not path.exists():
        return 0
    connection = await _connect(path)
    try:
        return await _read_version(connection)
    finally:
        await connection.close()


class _GroupCommitter:
    """Runs queued write operations in shared transactions on one connection."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def submit(self, operation: Operation) -> Any:
        if self._closing:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
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
            batch, self._pending = self._pending, []
            if batch:
                await self._commit(batch)
            elif self._closing:
                return

    async def _transaction(self, operations: list[Operation]) -> list[Any]:
        connection = self._connection
        await connection.execute("BEGIN IMMEDIATE")
        try:
            results = [await operation(connection) for operation in operations]
            await connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            raise
        return results

    async def _commit(self, batch: list[tuple[Operation, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._transaction([operation for operation, _ in batch])
        except Exception:
            if len(batch) == 1:
                logger.exception("write failed")
                _settle(batch[0][1], error=sqlite3.OperationalError("write failed"))
                return
            logger.warning("a batch of %d writes failed; replaying them one by one", len(batch))
            for item in batch:
                await self._commit([item])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():  # the request was cancelled; its write stands or falls with the batch
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SQLiteStore(SQLStore):
    """The embedded store: one writer connection with group commit, one reader connection.

    One writer means deletes by index are already serial; the queries are in :mod:`.sql`.
    """

    _reader: aiosqlite.Connection
    _committer: _GroupCommitter

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._committer = _GroupCommitter(writer)

    @classmethod
    async def open(cls, path: Path) -> SQLiteStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _migrate(writer)
        except BaseException:
            await writer.close()
            raise
        reader = await _connect(path)
        return cls(writer, reader)

    async def close(self) -> None:
        await self._committer.close()
        await self._reader.close()
        await self._writer.close()
