"""The one database the server and its plugin share.

The server keeps its own records (accounts, keys, OAuth) behind a :class:`Store`, whose every
method is scoped to one owner or account. A plugin's handlers get the store's ``database``
(database.py) and run their own SQL on tables their own migrations made, filtering on the
caller themselves. SQLite (aiosqlite) is the embedded default; a ``postgresql://`` URL selects
PostgreSQL (asyncpg) for several instances sharing one database.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import DATABASE_BUSY_TIMEOUT, Settings, is_database_url
from .base import DatabaseBusyError, Store
from .migrations import CORE, MigrationFailedError, Schema, SchemaTooNewError, latest_version
from .plugin_migrations import MigrationsError, plugin_schema
from .postgres import PostgresStore, postgres_schema_version
from .sqlite import SQLiteStore, sqlite_schema_version

__all__ = [
    "CORE",
    "DatabaseBusyError",
    "MigrationFailedError",
    "MigrationsError",
    "Schema",
    "SchemaTooNewError",
    "Store",
    "latest_version",
    "open_configured_store",
    "open_store",
    "plugin_schema",
    "schema_version",
]


async def open_store(
    database: str | Path,
    busy_timeout: float = DATABASE_BUSY_TIMEOUT,
    plugin: Schema | None = None,
) -> Store:
    """Open (and migrate, with the ``plugin``'s own history after the server's) the configured
    database: a SQLite file or a PostgreSQL URL.

    An operation waits at most ``busy_timeout`` seconds for another connection's lock, then
    fails with :class:`DatabaseBusyError`.
    """
    database = str(database)
    schemas: Sequence[Schema] = (CORE,) if plugin is None else (CORE, plugin)
    if is_database_url(database):
        return await PostgresStore.open(database, busy_timeout, schemas)
    return await SQLiteStore.open(Path(database), busy_timeout, schemas)


async def open_configured_store(settings: Settings) -> Store:
    """The configured database, migrated to the server's schema and then the plugin's."""
    return await open_store(
        settings.database, settings.database_busy_timeout, plugin_schema(settings)
    )


async def schema_version(database: str, schema: Schema = CORE) -> int:
    """The version of ``schema`` in the database, without migrating it (0 for a new one)."""
    if is_database_url(database):
        return await postgres_schema_version(database, schema)
    return await sqlite_schema_version(Path(database), schema)
