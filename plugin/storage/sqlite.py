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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from .base import Todo
from .migrations import MIGRATIONS, SchemaTooNewError, latest_version

__all__ = ["SQLiteStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[aiosqlite.Connection], Awaitable[Any]]
BUSY_TIMEOUT_MS = 10_000
TODO_COLUMNS = "id, text, created_at"


async def _connect(path: Path) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await connection.execute("PRAGMA journal_mode = WAL")
    await connection.execute("PRAGMA synchronous = FULL")
    await connection.execute("PRAGMA foreign_keys = ON")
    return connection


async def _migrate(connection: aiosqlite.Connection) -> None:
    await connection.execute("BEGIN IMMEDIATE")
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
        )
        rows = list(await connection.execute_fetchall("SELECT max(version) FROM schema_version"))
        current = rows[0][0] or 0
        if current > latest_version():
            raise SchemaTooNewError(current)
        for version, statements in MIGRATIONS:
            if version > current:
                for statement in statements:
                    await connection.execute(statement)
                await connection.execute("INSERT INTO schema_version VALUES (?)", (version,))
                logger.info("database migrated to schema version %d", version)
        await connection.execute("COMMIT")
    except BaseException:
        await connection.execute("ROLLBACK")
        raise


def _todo(row: Any) -> Todo:
    return Todo(id=row[0], text=row[1], created_at=row[2])


def _first_todo(rows: Any) -> Todo | None:
    rows = list(rows)
    return _todo(rows[0]) if rows else None


class _GroupCommitter:
    """Runs queued write operations in shared transactions on one connection."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self.writes = self.transactions = 0  # how well batching works, logged at close
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
        logger.info("group commit: %d writes in %d transactions", self.writes, self.transactions)

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
        self.transactions += 1
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
        self.writes += len(batch)
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


class SQLiteStore:
    """The embedded store: one writer connection with group commit, one reader connection."""

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

    async def list_todos(self, owner: str, limit: int, offset: int) -> list[Todo]:
        rows = await self._reader.execute_fetchall(
            f"SELECT {TODO_COLUMNS} FROM todos WHERE owner = ? ORDER BY id LIMIT ? OFFSET ?",
            (owner, limit, offset),
        )
        return [_todo(row) for row in rows]

    async def add_todo(self, owner: str, text: str) -> Todo:
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        async def insert(connection: aiosqlite.Connection) -> Todo:
            rows = await connection.execute_fetchall(
                "INSERT INTO todos (owner, text, created_at) VALUES (?, ?, ?) RETURNING id",
                (owner, text, created_at),
            )
            return Todo(id=list(rows)[0][0], text=text, created_at=created_at)

        result: Todo = await self._committer.submit(insert)
        return result

    async def delete_todo_at(self, owner: str, index: int) -> Todo | None:
        async def delete(connection: aiosqlite.Connection) -> Todo | None:
            return _first_todo(
                await connection.execute_fetchall(
                    f"""DELETE FROM todos WHERE id = (
                        SELECT id FROM todos WHERE owner = ? ORDER BY id LIMIT 1 OFFSET ?
                    ) RETURNING {TODO_COLUMNS}""",
                    (owner, index),
                )
            )

        result: Todo | None = await self._committer.submit(delete)
        return result

    async def delete_todo(self, owner: str, todo_id: int) -> Todo | None:
        async def delete(connection: aiosqlite.Connection) -> Todo | None:
            return _first_todo(
                await connection.execute_fetchall(
                    f"DELETE FROM todos WHERE owner = ? AND id = ? RETURNING {TODO_COLUMNS}",
                    (owner, todo_id),
                )
            )

        result: Todo | None = await self._committer.submit(delete)
        return result

    async def ping(self) -> None:
        await self._reader.execute_fetchall("SELECT 1")

    async def close(self) -> None:
        await self._committer.close()
        await self._reader.close()
        await self._writer.close()
