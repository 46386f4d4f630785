"""``python main.py db migrate`` and ``db check``, and the database check ``serve`` runs first.

Checking (and migrating) once in the parent process means a schema newer than the code or an
unreachable database stops start-up with one line, before any worker is spawned, and N workers
never race to migrate.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import asyncpg

from .config import Settings, is_database_url
from .storage import (
    CORE,
    MigrationFailedError,
    MigrationsError,
    Schema,
    SchemaTooNewError,
    open_configured_store,
    plugin_schema,
    schema_version,
)

__all__ = ["prepare_database", "register"]

DATABASE_ERRORS = (
    SchemaTooNewError,
    MigrationFailedError,
    MigrationsError,
    OSError,
    sqlite3.Error,
    asyncpg.PostgresError,
)


def _fail(error: BaseException) -> int:
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    print(f"error: PLUGIN_DATABASE: {reason}", file=sys.stderr)
    return 2


async def _migrate(settings: Settings) -> None:
    store = await open_configured_store(settings)
    await store.close()


def _schemas(settings: Settings) -> list[Schema]:
    """The server's schema and the plugin's own, if it has migrations."""
    plugin = plugin_schema(settings)
    return [CORE] if plugin is None else [CORE, plugin]


def prepare_database(settings: Settings) -> int:
    """Migrate the database; 0, or 2 after one line saying why it cannot be used."""
    try:
        if not is_database_url(settings.database):
            # A path SQLite cannot open at all fails here, in this thread: aiosqlite would leave
            # its worker thread reporting to a closed event loop.
            path = Path(settings.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
        asyncio.run(_migrate(settings))
    except DATABASE_ERRORS as error:
        return _fail(error)
    return 0


def _migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    status = prepare_database(settings)
    if status == 0:
        for schema in _schemas(settings):
            print(f"{schema.describe()} at version {schema.latest}")
    return status


def _check_command(settings: Settings, args: argparse.Namespace) -> int:
    """0 when every schema is current, 1 when ``db migrate`` has work to do, 2 when unusable."""
    behind = False
    try:
        for schema in _schemas(settings):
            found = asyncio.run(schema_version(settings.database, schema))
            if found > schema.latest:
                raise SchemaTooNewError(schema, found)
            if found < schema.latest:
                behind = True
                print(
                    f"{schema.describe()} at version {found}; run `db migrate` for {schema.latest}"
                )
            else:
                print(f"{schema.describe()} at version {found} (current)")
    except DATABASE_ERRORS as error:
        return _fail(error)
    return 1 if behind else 0


def register(commands: Any) -> None:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", default=argparse.SUPPRESS, help="(PLUGIN_DATABASE)")
    db = commands.add_parser("db", help="database schema: migrate or check")
    actions = db.add_subparsers(dest="db_command", required=True)
    for name, handler, text in (
        ("migrate", _migrate_command, "apply pending migrations"),
        ("check", _check_command, "exit 0 if current, 1 if behind, 2 if unusable"),
    ):
        actions.add_parser(name, help=text, parents=[database]).set_defaults(handler=handler)
