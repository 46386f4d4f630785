"""Another process holds the database's write lock: every write refused in that time answers
503 ``database_busy`` with ``Retry-After`` within one busy timeout for the whole group (not one
per queued write), stores nothing, reads go on, and the first write after the lock is released
succeeds with the acknowledged data intact. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import pytest
from quart.testing import QuartClient

from plugin.config import is_database_url
from plugin.storage import DatabaseBusyError, Store, open_store
from plugin.storage.records import OAuthClient, User

from .conftest import MakeClient
from .todo_table import TODO_SCHEMA

BUSY_TIMEOUT = 0.4  # seconds; PLUGIN_DATABASE_BUSY_TIMEOUT, short to keep the tests fast
BOUND = 2 * BUSY_TIMEOUT  # the whole group's answer, however many writes were queued
WRITES = 6
TABLES = "todos, users, oauth_clients, signin_failures"
# Lock statements another process may hold, by database: each blocks writes, none blocks reads.
LOCKS = {
    "sqlite": ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"),
    "postgresql": (
        f"LOCK TABLE {TABLES} IN EXCLUSIVE MODE",
        f"LOCK TABLE {TABLES} IN SHARE ROW EXCLUSIVE MODE",
    ),
}
# A second Python process holding SQLite's lock until its stdin closes.
SQLITE_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute(sys.argv[2])
connection.execute("INSERT INTO todos (owner, text, created_at) VALUES ('ann', 'held', 'x')")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""

CALLBACK = "http://127.0.0.1:33333/callback"

HoldLock = Callable[[], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def _sqlite_lock(path: str, statement: str) -> AsyncIterator[None]:
    with subprocess.Popen(
        [sys.executable, "-c", SQLITE_HOLDER, path, statement],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert await asyncio.to_thread(holder.stdout.readline) == b"locked\n"
            yield
        finally:
            holder.stdin.close()
            assert await asyncio.to_thread(holder.wait, 10) == 0


@asynccontextmanager
async def _postgres_lock(url: str, statement: str) -> AsyncIterator[None]:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(statement)
            yield
    finally:
        await connection.close()


@pytest.fixture(params=[0, 1], ids=["lock0", "lock1"])
def hold_lock(request: pytest.FixtureRequest, database: str) -> HoldLock:
    """Hold the database's write lock from another connection (SQLite: another process)."""
    kind = "postgresql" if is_database_url(database) else "sqlite"
    statement = LOCKS[kind][request.param]
    if kind == "postgresql":
        return lambda: _postgres_lock(database, statement)
    return lambda: _sqlite_lock(database, statement)


async def _timed(calls: list[Awaitable[Any]]) -> tuple[list[Any], float]:
    started = time.monotonic()
    answers = await asyncio.wait_for(asyncio.gather(*calls), 10 * BOUND)
    return answers, time.monotonic() - started


async def _raised(call: Awaitable[Any]) -> BaseException | None:
    try:
        await call
    except Exception as error:
        return error
    return None


async def _assert_busy(answer: Any) -> None:
    assert answer.status_code == 503, await answer.get_data(as_text=True)
    assert (await answer.get_json())["error"] == "database_busy"
    assert int(answer.headers["Retry-After"]) >= 1


async def _texts(client: QuartClient) -> list[str]:
    answer = await client.get("/todos/ann")
    assert answer.status_code == 200
    return [todo["todo"] for todo in (await answer.get_json())["items"]]


async def test_writes_on_a_locked_database_answer_503_together(
    make_client: MakeClient, hold_lock: HoldLock
) -> None:
    client = await make_client(database_busy_timeout=BUSY_TIMEOUT)
    kept = await (await client.post("/todos/ann", json={"todo": "kept"})).get_json()
    async with hold_lock():
        writes = [client.post("/todos/ann", json={"todo": f"refused {i}"}) for i in range(WRITES)]
        # One delete by index: on PostgreSQL a second would wait for the first's owner lock,
        # then for the table, each up to lock_timeout (postgres.py).
        writes += [
            client.delete("/todos/ann", json={"todo_idx": 0}),
            client.delete(f"/todos/ann/{kept['id']}"),
        ]
        answers, elapsed = await _timed(writes)
        for answer in answers:
            await _assert_busy(answer)
        assert elapsed < BOUND, f"{len(writes)} writes took {elapsed:.2f} s"
        assert await _texts(client) == ["kept"]  # reads go on beside the lock
    assert (await client.post("/todos/ann", json={"todo": "after"})).status_code == 200
    assert await _texts(client) == ["kept", "after"]


async def test_writes_queued_during_a_wait_wait_no_longer_than_the_busy_timeout(
    make_client: MakeClient, hold_lock: HoldLock
) -> None:
    """Writes arriving while earlier ones wait are refused a busy timeout after they arrived,
    not after the earlier ones' wait plus a whole busy timeout of their own."""
    client = await make_client(database_busy_timeout=BUSY_TIMEOUT)

    async def post_after(delay: float) -> float:
        await asyncio.sleep(delay)
        started = time.monotonic()
        await _assert_busy(await client.post("/todos/ann", json={"todo": "refused"}))
        return time.monotonic() - started

    async with hold_lock():
        delays = [0, 0, BUSY_TIMEOUT / 8, BUSY_TIMEOUT / 8, BUSY_TIMEOUT / 4, BUSY_TIMEOUT / 4]
        waits, _ = await _timed([post_after(delay) for delay in delays])
    assert max(waits) < BUSY_TIMEOUT * 1.5, [f"{wait:.2f}" for wait in waits]
    assert (await client.post("/todos/ann", json={"todo": "after"})).status_code == 200
    assert await _texts(client) == ["after"]


async def test_a_write_waiting_when_the_lock_is_released_succeeds(
    make_client: MakeClient, hold_lock: HoldLock
) -> None:
    client = await make_client(database_busy_timeout=BUSY_TIMEOUT)
    async with hold_lock():
        waiting = asyncio.ensure_future(client.post("/todos/ann", json={"todo": "waited"}))
        await asyncio.sleep(BUSY_TIMEOUT / 4)
    (answer,), _ = await _timed([waiting])
    assert answer.status_code == 200  # released within its wait: no 503
    assert await _texts(client) == ["waited"]


async def test_writes_of_the_oauth_server_answer_503(
    make_client: MakeClient, hold_lock: HoldLock
) -> None:
    client = await make_client(auth="oauth", database_busy_timeout=BUSY_TIMEOUT)
    body = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
    async with hold_lock():
        answers, elapsed = await _timed(
            [client.post("/oauth/register", json=body) for _ in range(3)]
        )
        for answer in answers:
            await _assert_busy(answer)
        assert elapsed < BOUND
    assert (await client.post("/oauth/register", json=body)).status_code == 201


ANN = User(name="ann", password_hash="x", created_at=1)
USER = User(name="cy", password_hash="x", created_at=1)
CLIENT = OAuthClient(
    client_id="c1",
    secret_hash="",
    redirect_uris=("https://client.example/cb",),
    chatgpt_callback=False,
    created_at=1,
)
ACCOUNT_WRITES: dict[str, Callable[[Store], Awaitable[Any]]] = {
    "add_user": lambda store: store.add_user(USER),
    "set_password": lambda store: store.set_password("ann", "y"),
    "remove_user": lambda store: store.remove_user("ann"),
    "add_oauth_client": lambda store: store.add_oauth_client(CLIENT),
    "record_signin_failure": lambda store: store.record_signin_failure(["ann", "1.2.3.4"], 5, 60),
}


async def test_every_kind_of_write_is_refused_as_busy(database: str, hold_lock: HoldLock) -> None:
    store = await open_store(database, BUSY_TIMEOUT, TODO_SCHEMA)  # the lock holders write todos
    try:
        await store.add_user(ANN)
        async with hold_lock():
            results, elapsed = await _timed(
                [_raised(write(store)) for write in ACCOUNT_WRITES.values()]
            )
            assert await store.get_user("ann") == ANN  # reads go on beside the lock
        for name, result in zip(ACCOUNT_WRITES, results, strict=True):
            assert isinstance(result, DatabaseBusyError), (name, result)
        assert elapsed < BOUND
        assert await store.list_users() == [ANN]
        assert await store.list_oauth_clients() == []
        assert await store.signin_failures(["ann", "1.2.3.4"], 0) == {}
        assert await store.add_user(USER)
    finally:
        await store.close()
