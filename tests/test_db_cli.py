"""``db migrate`` / ``db check`` and the refusal to start on a schema newer than the code."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from plugin.cli import main
from plugin.config import is_database_url
from plugin.storage import latest_version


async def _set_version_postgres(url: str, version: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
    finally:
        await connection.close()


def _set_version(database: str, version: int) -> None:
    if is_database_url(database):
        asyncio.run(_set_version_postgres(database, version))
        return
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


def test_check_migrate_and_too_new(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "check", "--database", database]) == 1
    assert "run `db migrate`" in capsys.readouterr().out
    assert main(["db", "migrate", "--database", database]) == 0
    assert main(["db", "check", "--database", database]) == 0
    assert "(current)" in capsys.readouterr().out
    _set_version(database, latest_version() + 1)
    assert main(["db", "check", "--database", database]) == 2
    # Serving stops before binding, with one line naming the setting.
    assert main(["--database", database, "--port", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("error: PLUGIN_DATABASE: database schema version")
    assert "newer than this server knows" in lines[-1]


def test_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    assert main(["db", "check", "--database", url]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_plugins_migrations_are_checked_and_applied(
    database: str, plugin_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--root", str(plugin_root)]  # its migrations/ is the TODO list's, one step
    assert main([*root, "db", "check", "--database", database]) == 1
    assert "plugin 'todo'" in capsys.readouterr().out
    assert main([*root, "db", "migrate", "--database", database]) == 0
    assert "the schema of plugin 'todo' at version 1" in capsys.readouterr().out
    assert main([*root, "db", "check", "--database", database]) == 0
    (plugin_root / "migrations" / "002_broken.sql").write_text("CREATE TABLE (;")
    # Serving stops before binding, with one line naming the failing step; nothing of it stays.
    assert main([*root, "--database", database, "--port", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("error: PLUGIN_DATABASE: the schema of plugin 'todo' step 2")
    assert main([*root, "db", "check", "--database", database]) == 1
    (plugin_root / "migrations" / "002_broken.sql").rename(plugin_root / "migrations" / "3.sql")
    assert main([*root, "db", "migrate", "--database", database]) == 2
    assert "2 is missing" in capsys.readouterr().err
