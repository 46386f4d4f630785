"""``db migrate`` / ``db check`` and the refusal to start on a schema newer than the code."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from plugin.cli import main
from plugin.config import is_database_url
from plugin.storage import latest_version


async def _set_version_postgres(url: str, version: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("INSERT INTO schema_version VALUES ($1)", version)
    finally:
        await connection.close()


def _set_version(database: str, version: int) -> None:
    if is_database_url(database):
        asyncio.run(_set_version_postgres(database, version))
        return
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO schema_version VALUES (?)", (version,))


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
