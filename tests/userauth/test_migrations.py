"""A database made by schema version 1 (todos only) upgrades in place without losing a todo: the
server's own steps and then the TODO plugin's, whose table version 1 had already made."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from plugin.accounts import add_user
from plugin.storage import open_store
from plugin.storage.migrations import latest_version

from ..todo_table import TODO_SCHEMA, add_todo, todo_items, todo_texts
from .support import old_database


def make_version_1(path: Path) -> None:
    connection = old_database(path, 1)
    connection.executemany(
        "INSERT INTO todos (owner, text, created_at) VALUES (?, ?, ?)",
        [("ann", f"todo {i}", "2026-01-01T00:00:00.000Z") for i in range(50)]
        + [("bob", "bob's", "2026-01-01T00:00:00.000Z")],
    )
    connection.commit()
    connection.close()


async def test_version_1_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    make_version_1(path)
    store = await open_store(path, plugin=TODO_SCHEMA)
    try:
        todos = await todo_items(store.database, "ann")
        assert [todo["todo"] for todo in todos] == [f"todo {i}" for i in range(50)]
        assert [todo["id"] for todo in todos] == list(range(1, 51))
        assert await todo_texts(store.database, "bob") == ["bob's"]
        await add_user(store, "ann", "password123")
        assert [user.name for user in await store.list_users()] == ["ann"]
        added = await add_todo(store.database, "ann", "new")
        assert added["id"] == 52
    finally:
        await store.close()
    connection = sqlite3.connect(path)
    versions = connection.execute("SELECT plugin, version FROM schema_version").fetchall()
    connection.close()
    core = [("", version) for version in range(1, latest_version() + 1)]
    assert versions == [*core, ("todo", 1)]
    reopened = await open_store(path, plugin=TODO_SCHEMA)  # a second start migrates nothing
    try:
        assert len(await todo_texts(reopened.database, "ann")) == 51
    finally:
        await reopened.close()
