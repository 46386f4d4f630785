"""The SQLite store under concurrency: writes that arrive together share one fsynced commit,
a bad write fails alone, and batched reads each get their own answer."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from plugin.storage import CORE
from plugin.storage.sqlite import SQLiteStore

from .todo_table import TODO_SCHEMA

WRITES = 200
# handlers.py's statements: what the TODO API sends through the store
ADD = "INSERT INTO todos (owner, text, created_at) VALUES (?, ?, ?) RETURNING id"
LIST = "SELECT id, text, created_at FROM todos WHERE owner = ? ORDER BY id LIMIT ? OFFSET ?"


async def open_todos(path: Path) -> SQLiteStore:
    """A SQLite store with the TODO plugin's table (migrations/001_todos.sql)."""
    return await SQLiteStore.open(path, schemas=(CORE, TODO_SCHEMA))


async def add(store: SQLiteStore, owner: str, text: str) -> int:
    ((todo_id,),) = await store.database.execute(ADD, owner, text, "2026-01-01T00:00:00.000Z")
    return int(todo_id)


async def test_concurrent_writes_share_transactions(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plugin.storage.sqlite")
    store = await open_todos(tmp_path / "plugin.sqlite3")
    try:
        added = await asyncio.gather(*(add(store, "ann", f"todo {i}") for i in range(WRITES)))
        listed = await store.database.fetch(LIST, "ann", WRITES + 1, 0)
    finally:
        await store.close()
    assert len(set(added)) == WRITES
    assert [text for _, text, _ in listed] == [f"todo {i}" for i in range(WRITES)]
    assert [todo_id for todo_id, _, _ in listed] == added
    (summary,) = re.findall(r"group commit: (\d+) writes in (\d+) transactions", caplog.text)
    writes, transactions = (int(number) for number in summary)
    assert writes == WRITES
    assert 1 <= transactions < WRITES / 4, "concurrent writes were not batched"


async def test_writes_a_few_loop_turns_apart_share_one_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As requests whose bodies arrive in the same moment reach their write a turn or two apart.

    The gathering waits at most GATHER_SECONDS of wall time; a pause of this process longer than
    that (a collection, another thread holding the GIL late in the full suite) splits the burst.
    So the burst is tried up to three times: broken gathering never gives one commit."""
    caplog.set_level(logging.INFO, logger="plugin.storage.sqlite")

    async def burst(attempt: int) -> str:
        caplog.clear()
        store = await open_todos(tmp_path / f"plugin{attempt}.sqlite3")

        async def write(number: int) -> None:
            for _ in range(number % 4):
                await asyncio.sleep(0)
            await add(store, "ann", f"todo {number}")

        try:
            await asyncio.gather(*(write(number) for number in range(40)))
        finally:
            await store.close()
        return caplog.text

    summaries = []
    for attempt in range(3):
        summaries.append(
            re.findall(r"group commit: \d+ writes in \d+ transactions", await burst(attempt))
        )
        if summaries[-1] == ["group commit: 40 writes in 1 transactions"]:
            return
    pytest.fail(f"40 writes a few turns apart were never one commit: {summaries}")


async def test_a_failing_write_fails_only_itself(tmp_path: Path) -> None:
    store = await open_todos(tmp_path / "plugin.sqlite3")
    texts = ["first", "lone surrogate \ud800", "third"]  # SQLite cannot bind the second
    try:
        results = await asyncio.gather(
            *(add(store, "ann", text) for text in texts), return_exceptions=True
        )
        listed = await store.database.fetch(LIST, "ann", 10, 0)
    finally:
        await store.close()
    assert isinstance(results[1], UnicodeEncodeError)  # its own error, raised to it alone
    assert [row[:2] for row in listed] == [(results[0], "first"), (results[2], "third")]


async def test_batched_reads_answer_each_caller(tmp_path: Path) -> None:
    store = await open_todos(tmp_path / "plugin.sqlite3")
    try:
        for user in ("ann", "bob", "cy"):
            for i in range(3):
                await add(store, user, f"{user} {i}")
        users = ["ann", "bob", "cy"] * 20
        pages = await asyncio.gather(*(store.database.fetch(LIST, user, 2, 1) for user in users))
    finally:
        await store.close()
    for user, page in zip(users, pages, strict=True):
        assert [text for _, text, _ in page] == [f"{user} 1", f"{user} 2"]
