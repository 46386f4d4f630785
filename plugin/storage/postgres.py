"""PostgreSQL through asyncpg, for several instances sharing one database.

No group commit here, unlike SQLite: PostgreSQL already flushes the WAL of concurrent commits
together (each backend waits on the same flush), so N pooled connections committing at once
cost about one fsync, and a queue in front would only add a hop (see bench/production.py).
Deleting by index takes a per-owner advisory lock for the transaction, so two instances
deleting "index 0" of one list delete two different todos, as one SQLite writer would.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from .base import Todo
from .migrations import CREATE_VERSION_TABLE, READ_VERSION, pending_steps

__all__ = ["PostgresStore", "postgres_schema_version"]

logger = logging.getLogger(__name__)

POOL_SIZE = 10  # per worker process; PostgreSQL's default max_connections is 100
MIGRATION_LOCK = 0x706C7567  # one advisory lock id, so instances starting together migrate once
TODO_COLUMNS = "id, text, created_at"


def _todo(row: Any) -> Todo | None:
    return None if row is None else Todo(id=row[0], text=row[1], created_at=row[2])


async def _migrate(connection: asyncpg.Connection) -> None:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(CREATE_VERSION_TABLE)
        current = await connection.fetchval(READ_VERSION)
        for version, statements in pending_steps("postgresql", current):
            for statement in statements:
                await connection.execute(statement)
            await connection.execute("INSERT INTO schema_version VALUES ($1)", version)
            logger.info("database migrated to schema version %d", version)


async def postgres_schema_version(url: str) -> int:
    """The schema version of the database at ``url`` (0 when new), without migrating it."""
    connection = await asyncpg.connect(url)
    try:
        exists = await connection.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        return int(await connection.fetchval(READ_VERSION)) if exists else 0
    finally:
        await connection.close()


class PostgresStore:
    """A connection pool; every write is its own committed transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        try:
            async with pool.acquire() as connection:
                await _migrate(connection)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def list_todos(self, owner: str, limit: int, offset: int) -> list[Todo]:
        rows = await self._pool.fetch(
            f"SELECT {TODO_COLUMNS} FROM todos WHERE owner = $1 ORDER BY id LIMIT $2 OFFSET $3",
            owner,
            limit,
            offset,
        )
        return [Todo(id=row[0], text=row[1], created_at=row[2]) for row in rows]

    async def add_todo(self, owner: str, text: str) -> Todo:
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        todo_id = await self._pool.fetchval(
            "INSERT INTO todos (owner, text, created_at) VALUES ($1, $2, $3) RETURNING id",
            owner,
            text,
            created_at,
        )
        return Todo(id=todo_id, text=text, created_at=created_at)

    async def delete_todo_at(self, owner: str, index: int) -> Todo | None:
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", owner)
            return _todo(
                await connection.fetchrow(
                    f"""DELETE FROM todos WHERE id = (
                        SELECT id FROM todos WHERE owner = $1 ORDER BY id LIMIT 1 OFFSET $2
                    ) RETURNING {TODO_COLUMNS}""",
                    owner,
                    index,
                )
            )

    async def delete_todo(self, owner: str, todo_id: int) -> Todo | None:
        return _todo(
            await self._pool.fetchrow(
                f"DELETE FROM todos WHERE owner = $1 AND id = $2 RETURNING {TODO_COLUMNS}",
                owner,
                todo_id,
            )
        )

    async def ping(self) -> None:
        await self._pool.fetchval("SELECT 1")

    async def close(self) -> None:
        """Wait for queries in flight, then close every connection."""
        await self._pool.close()
