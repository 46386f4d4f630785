"""PostgreSQL through asyncpg, for several instances sharing one database.

No group commit here, unlike SQLite: PostgreSQL already flushes the WAL of concurrent commits
together (each backend waits on the same flush), so N pooled connections committing at once
cost about one fsync, and a queue in front would only add a hop (see bench/production.py).
A transaction's ``Lock(key)`` (database.py) takes an advisory lock on the key, so two instances
deleting "index 0" of one TODO list (locked by its owner) delete two different todos, as one
SQLite writer would.

A lock held elsewhere (``LOCK TABLE``, a long transaction) is waited for at most PostgreSQL's
``lock_timeout``, set to ``PLUGIN_DATABASE_BUSY_TIMEOUT``; then the operation fails with the
same :class:`DatabaseBusyError` as on SQLite (a 503), instead of waiting for ever. The timeout
bounds each lock wait, so a transaction that waits for its ``Lock`` and then for a table may
wait twice as long. Migrations still wait as long as it takes: the instance that runs
them holds the migration lock throughout.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import ParamSpec, TypeVar

import asyncpg

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
from .queries import Dialect, Operation, Query, Row, advance
from .sql import SQLStore

__all__ = ["PostgresStore", "postgres_schema_version"]

logger = logging.getLogger(__name__)

# PostgreSQL's TEXT cannot hold NUL, which any text the API accepts may contain: text is stored
# with NUL as \0 and a backslash as \\, and read back exactly.
ESCAPE = re.compile(r"\\(.)", re.S)
POOL_SIZE = 10  # per worker process; PostgreSQL's default max_connections is 100
MIGRATION_LOCK = 0x706C7567  # one advisory lock id, so instances starting together migrate once
P = ParamSpec("P")
T = TypeVar("T")


@cache
def _numbered(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (no ``?`` in literals here)."""
    head, *rest = sql.split("?")
    return head + "".join(f"${number}{part}" for number, part in enumerate(rest, 1))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\x00", "\\0")


def _unescaped(text: str) -> str:
    return ESCAPE.sub(lambda match: "\x00" if match[1] == "0" else match[1], text)


async def _execute(target: asyncpg.Pool | asyncpg.Connection, query: Query) -> list[Row]:
    sql = _numbered(query.sql)
    if query.many:
        await target.executemany(sql, query.parameters)
        return []
    return [tuple(row) for row in await target.fetch(sql, *query.parameters)]


async def _run(target: asyncpg.Pool | asyncpg.Connection, operation: Operation[T]) -> T:
    """Run a shared operation (queries.py): on a connection, or on the pool for a read."""
    step = advance(operation, None)
    while isinstance(step, Query):
        step = advance(operation, await _execute(target, step))
    return step.result


@contextmanager
def _lock_timeout_is_busy() -> Iterator[None]:
    try:
        yield
    except asyncpg.LockNotAvailableError as error:  # lock_timeout ran out; nothing was written
        raise DatabaseBusyError("another connection holds a lock this operation needs") from error


async def _migrate(connection: asyncpg.Connection, schemas: Sequence[Schema]) -> None:
    """Every pending step of ``schemas`` in one transaction: all applied, or none."""
    applied: list[str] = []
    async with connection.transaction():
        await connection.execute("SET LOCAL lock_timeout = 0")
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(CREATE_VERSION_TABLE)
        await connection.execute(ADD_NAME_COLUMN.replace("COLUMN", "COLUMN IF NOT EXISTS"))
        for schema in schemas:
            current = await connection.fetchval(_numbered(READ_VERSION), schema.name)
            for version, statements in schema.pending("postgresql", current):
                try:
                    for statement in statements:
                        await connection.execute(statement)
                except asyncpg.PostgresError as error:
                    raise MigrationFailedError(schema, version, error) from error
                await connection.execute(_numbered(RECORD_VERSION), version, schema.name)
                applied.append(f"{schema.describe()} migrated to version {version}")
    for line in applied:  # said once they are committed
        logger.info("%s", line)


async def postgres_schema_version(url: str, schema: Schema = CORE) -> int:
    """The version of ``schema`` in the database at ``url`` (0 when new), without migrating."""
    connection = await asyncpg.connect(url)
    try:
        named = await connection.fetchval(
            """SELECT count(*) FROM information_schema.columns
            WHERE table_name = 'schema_version' AND column_name = 'plugin'
            AND table_schema = current_schema()"""
        )
        if named:
            return int(await connection.fetchval(_numbered(READ_VERSION), schema.name))
        exists = await connection.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists or schema.name:  # before plugins, only the server's history was kept
            return 0
        return int(
            await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        )
    finally:
        await connection.close()


class PostgresStore(SQLStore):
    """A connection pool; every write is its own committed transaction."""

    _dialect = Dialect(
        name="postgresql",
        escapes_text=True,
        stored_text=_escaped,
        read_text=_unescaped,
        owner_lock="SELECT pg_advisory_xact_lock(hashtext(?))",
        owner_tables="""SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t
            ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.column_name = 'owner' AND c.table_schema = current_schema()
            AND t.table_type = 'BASE TABLE'""",
    )

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(
        cls,
        url: str,
        busy_timeout: float = DATABASE_BUSY_TIMEOUT,
        schemas: Sequence[Schema] = (CORE,),
    ) -> PostgresStore:
        """Open (and migrate to ``schemas``) the database; a statement waits ``busy_timeout`` s
        for a lock."""
        lock_timeout = f"{math.ceil(busy_timeout * 1000)}ms"
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=POOL_SIZE, server_settings={"lock_timeout": lock_timeout}
        )
        try:
            async with pool.acquire() as connection:
                await _migrate(connection, schemas)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def _read(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with _lock_timeout_is_busy():
            return await _run(self._pool, operation(*args, **kwargs))

    async def _write(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with _lock_timeout_is_busy():
            async with self._pool.acquire() as connection, connection.transaction():
                return await _run(connection, operation(*args, **kwargs))

    async def close(self) -> None:
        """Wait for queries in flight, then close every connection."""
        await self._pool.close()
