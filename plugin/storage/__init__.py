"""The one storage interface every handler goes through.

Handlers never see SQL: they call a :class:`Store`, and every method takes the owner first so
per-user isolation lives in this layer. SQLite (aiosqlite) is the embedded default; a
``postgresql://`` URL selects PostgreSQL (asyncpg) for several instances sharing one database.
"""

from __future__ import annotations

from pathlib import Path

from ..config import DATABASE_BUSY_TIMEOUT, is_database_url
from .base import DatabaseBusyError, Store, Todo
from .migrations import SchemaTooNewError, latest_version
from .postgres import PostgresStore, postgres_schema_version
from .sqlite import SQLiteStore, sqlite_schema_version

__all__ = [
    "DatabaseBusyError",
    "SchemaTooNewError",
    "Store",
    "Todo",
    "latest_version",
    "open_store",
    "schema_version",
]


async def open_store(database: str | Path, busy_timeout: float = DATABASE_BUSY_TIMEOUT) -> Store:
    """Open (and migrate) the configured database: a SQLite file or a PostgreSQL URL.

    An operation waits at most ``busy_timeout`` seconds for another connection's lock, then
    fails with :class:`DatabaseBusyError`.
    """
    database = str(database)
    if is_database_url(database):
        return await PostgresStore.open(database, busy_timeout)
    return await SQLiteStore.open(Path(database), busy_timeout)


async def schema_version(database: str) -> int:
    """The database's schema version, without migrating it (0 for a new database)."""
    if is_database_url(database):
        return await postgres_schema_version(database)
    return await sqlite_schema_version(Path(database))
