"""Buckets in the database: one budget for every process, expired rows deleted, failing open.

Each test runs on SQLite (the limiter's own file next to the database) and on PostgreSQL (an
unlogged table in it), through the ``database`` fixture, unless it is about PostgreSQL going away.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import asyncpg
import pytest

from plugin import Settings, create_app
from plugin.limits import Budget, MemoryBuckets
from plugin.limits.shared import SharedBuckets, buckets_for
from plugin.rates import Rate

from .postgres import PostgresCluster

BUDGET = Budget.of("caller", Rate(5, 3600.0))


async def _opened(database: str, retry_seconds: float = 5.0) -> SharedBuckets:
    buckets = SharedBuckets(database, retry_seconds)
    await buckets.open()
    return buckets


async def test_processes_sharing_a_database_share_each_budget(database: str) -> None:
    """Two sets of buckets on one database (two workers, or two instances): one budget, and
    the last request of it goes to one of them only, however many ask at once."""
    first, second = await _opened(database), await _opened(database)
    try:
        waits = [await (first, second)[index % 2].take("ann", BUDGET) for index in range(4)]
        assert waits == [0.0] * 4
        raced = await asyncio.gather(*(b.take("ann", BUDGET) for b in (first, second) * 3))
        assert sorted(wait > 0 for wait in raced) == [False] + [True] * 5
        assert 0 < max(raced) <= 720  # the wait until the next of 5/hour fits
        assert await second.take("bob", BUDGET) == 0.0
    finally:
        await first.close()
        await second.close()


async def test_expired_rows_are_deleted_in_batches(database: str) -> None:
    buckets = await _opened(database)
    try:
        brief = Budget.of("brief", Rate(1, 0.001))
        await asyncio.gather(*(buckets.take(f"caller {n}", brief) for n in range(2500)))
        await buckets.take("kept", BUDGET)
        await asyncio.sleep(0.01)
        assert await buckets.delete_expired() == 2500
        assert await buckets.delete_expired() == 0
        assert await buckets.take("kept", BUDGET) == 0.0  # the live row stayed: 2 of 5 now
        assert [await buckets.take("kept", BUDGET) > 0 for _ in range(4)] == [False] * 3 + [True]
    finally:
        await buckets.close()


def test_the_store_follows_the_deployment() -> None:
    sqlite = "/srv/plugin.sqlite3"
    postgres = "postgresql://plugin@db.internal/plugin"
    assert isinstance(buckets_for(Settings(database=sqlite)), MemoryBuckets)
    for shared in (
        Settings(database=sqlite, workers=2),
        Settings(database=postgres),
        Settings(database=sqlite, rate_limit_store="database"),
    ):
        assert isinstance(buckets_for(shared), SharedBuckets)
    forced = Settings(database=postgres, workers=4, rate_limit_store="memory")
    assert isinstance(buckets_for(forced), MemoryBuckets)


ON_POSTGRESQL = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@ON_POSTGRESQL
async def test_fails_open_while_the_table_is_gone_and_logs_once(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    buckets = await _opened(database, retry_seconds=0)
    connection = await asyncpg.connect(database)
    try:
        assert [await buckets.take("ann", BUDGET) for _ in range(6)][-1] > 0
        await connection.execute("ALTER TABLE rate_limit_buckets RENAME TO elsewhere")
        with caplog.at_level(logging.WARNING, "plugin.limits.shared"):
            assert [await buckets.take("ann", BUDGET) for _ in range(5)] == [0.0] * 5
            await connection.execute("ALTER TABLE elsewhere RENAME TO rate_limit_buckets")
            assert await buckets.take("ann", BUDGET) > 0  # counting again, in the same bucket
            assert await buckets.take("ann", BUDGET) > 0
        messages = [record.getMessage() for record in caplog.records]
        assert len(messages) == 2, messages
        assert "does not answer" in messages[0] and "answers again" in messages[1]
    finally:
        await connection.close()
        await buckets.close()


@ON_POSTGRESQL
async def test_app_serves_uncounted_when_its_database_is_dropped(
    database: str, postgres: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(database=database, auth="oauth", rate_limit="2/minute"))
    metadata = "/.well-known/oauth-authorization-server"
    async with app.test_app():
        client = app.test_client()
        assert [(await client.get(metadata)).status_code for _ in range(3)] == [200, 200, 429]
        name = urlsplit(database).path.lstrip("/")
        admin = await asyncpg.connect(postgres.url())
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        with caplog.at_level(logging.WARNING, "plugin.limits.shared"):
            statuses = [(await client.get(metadata)).status_code for _ in range(5)]
        assert statuses == [200] * 5
        ours = [record for record in caplog.records if record.name.startswith("plugin.limits")]
        assert len(ours) == 1, ours
