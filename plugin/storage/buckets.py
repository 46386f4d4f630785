"""Rate-limit buckets shared by every process of a deployment, in its own database.

One row per bucket: the key and its theoretical arrival time (TAT, Unix seconds; see
``plugin/limits/gcra.py``). A check is one upsert that computes the new TAT, writes it only when
the request fits, and returns the wait (0: allowed), so the decision is one round trip and two
processes can never both spend the last request of a bucket. A row whose TAT has passed is a
full bucket, the same as no row: deleting it loses nothing. The checks a process receives while
the previous ones are being decided go together, in one hop: one statement per check in one
transaction (SQLite), or one statement for all of them (PostgreSQL). With one statement per
check, PostgreSQL cost 220 µs more of the server's CPU per request and 110 µs of its own, and
60% of the throughput; batched, nothing measurable in the server and up to 30 µs in PostgreSQL
(bench/README.md, "Shared rate limits").

Losing this state is harmless (every caller gets a full bucket), so it is kept where it costs
least:

- SQLite: a file of its own next to the database (``<database>.limits``), WAL with
  ``synchronous=OFF``. Its writes never wait for an fsync nor for the data's write lock. The
  checks queued together run in one transaction in one hop to the connection's thread, as the
  data's group commit does. The TATs come from the host's wall clock, which every worker shares.
  Expired rows are deleted a thousand at a time through an index on the TAT, so a clean-up holds
  the write lock for about a millisecond whatever the size of the table.
- PostgreSQL: an ``UNLOGGED`` table in the deployment's database (no WAL, so no fsync, and not
  copied to replicas), reached through a pool of its own, with ``synchronous_commit`` off. The
  TATs come from the database's clock, so instances whose clocks differ still agree. Without an
  index on the TAT an update can stay on its page (a HOT update); expired rows are deleted by a
  plain ``DELETE``, which never blocks the checks (row locks only). The table is created by the
  first instance that needs it, under the migrations' advisory lock: it is a cache, not part of
  the schema's history.

Both are reached through their own connections, never the data's: a limiter that waits behind
slow queries would fail open exactly when it is needed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiosqlite
import asyncpg

from .postgres import MIGRATION_LOCK
from .sqlite import Batcher, Operation, Outcome, connect

__all__ = ["PostgresBuckets", "SQLiteBuckets", "limiter_path"]

TABLE = "rate_limit_buckets"
# One row per check, from {rows}: (key, TAT if new, step, tolerance, allowed). A bucket keeps its
# budget's step and tolerance so that RETURNING, which sees only the row, can compute the wait.
# {next} is the TAT after this request: max(TAT, now) + step.
TAKE = """INSERT INTO rate_limit_buckets AS b (key, tat, step, tolerance, allowed)
{rows}
ON CONFLICT (key) DO UPDATE SET
    tat = CASE WHEN {next} - {now} <= excluded.tolerance THEN {next} ELSE b.tat END,
    allowed = {next} - {now} <= excluded.tolerance,
    step = excluded.step,
    tolerance = excluded.tolerance
RETURNING key, CASE WHEN allowed THEN 0.0 ELSE tat + step - {now} - tolerance END"""
SQLITE_TAKE = TAKE.format(
    rows="VALUES (?1, ?4 + ?2, ?2, ?3, TRUE)",
    now="?4",
    next="max(b.tat, ?4) + excluded.step",
)
PG_NOW = "extract(epoch FROM now())::float8"  # now(): the same instant throughout a statement
POSTGRES_TAKE = TAKE.format(
    rows=f"SELECT key, {PG_NOW} + step, step, tolerance, TRUE "
    "FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t (key, step, tolerance)",
    now=PG_NOW,
    next=f"GREATEST(b.tat, {PG_NOW}) + excluded.step",
)
COLUMNS = "key TEXT PRIMARY KEY, tat {real} NOT NULL, step {real} NOT NULL, " + (
    "tolerance {real} NOT NULL, allowed BOOLEAN NOT NULL"
)
SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ({COLUMNS.format(real='REAL')}) WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tat ON {TABLE} (tat)",
)
SQLITE_DELETE_EXPIRED = (
    f"DELETE FROM {TABLE} WHERE key IN (SELECT key FROM {TABLE} WHERE tat < ? LIMIT ?)"
)
POSTGRES_SCHEMA = (
    f"CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} ({COLUMNS.format(real='DOUBLE PRECISION')}) "
    "WITH (fillfactor = 70)"  # room on each page for HOT updates
)
POSTGRES_DELETE_EXPIRED = f"DELETE FROM {TABLE} WHERE tat < {PG_NOW}"
DELETE_BATCH = 1000
SQLITE_BUSY_SECONDS = 1.0  # then the check fails open rather than keep a request waiting
POOL_SIZE = 2  # per worker process, beside the data's pool: the checks, and the clean-up
TIMEOUT = 1.0  # seconds for a connection or a check, then it fails open
Check = tuple[str, float, float, "asyncio.Future[float]"]  # key, step, tolerance, its wait


def limiter_path(database: Path) -> Path:
    """The SQLite file that holds the buckets of the deployment using ``database``."""
    return database.with_name(database.name + ".limits")


def _in_one_transaction(
    connection: sqlite3.Connection, operations: list[Operation]
) -> list[Outcome]:
    """The checks queued together: one transaction, and all of them fail open if it fails."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        results = [operation(connection) for operation in operations]
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return [(False, error)] * len(operations)
    return [(True, result) for result in results]


class SQLiteBuckets:
    """The buckets in a SQLite file that every worker on the host opens."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._batcher = Batcher(connection, _in_one_transaction, SQLITE_BUSY_SECONDS)

    @classmethod
    async def open(cls, path: Path) -> SQLiteBuckets:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(await connect(path, SQLITE_BUSY_SECONDS, "OFF", SQLITE_SCHEMA))

    async def take(self, key: str, interval: float, tolerance: float) -> float:
        """Count one request in ``key``'s bucket: 0, or the seconds until one would fit."""

        def run(connection: sqlite3.Connection) -> float:
            parameters = (key, interval, tolerance, time.time())
            return float(connection.execute(SQLITE_TAKE, parameters).fetchall()[0][1])

        wait: float = await self._batcher.submit(run)
        return wait

    async def delete_expired(self) -> int:
        """Delete the rows of full buckets, a batch per transaction; how many."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(SQLITE_DELETE_EXPIRED, (time.time(), DELETE_BATCH)).rowcount

        deleted = 0
        while True:
            count: int = await self._batcher.submit(run)
            deleted += count
            if count < DELETE_BATCH:
                return deleted

    async def close(self) -> None:
        await self._batcher.close()
        await self._connection.close()


class PostgresBuckets:
    """The buckets in an unlogged table of the deployment's PostgreSQL database.

    The checks that arrive while a statement is in flight go together in the next one: one
    round trip for all of them, their keys sorted so that two instances lock rows in the same
    order (never a deadlock), a key at most once (a second check of it waits for the next)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._pending: list[Check] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    @classmethod
    async def open(cls, url: str) -> PostgresBuckets:
        pool = await asyncpg.create_pool(
            url,
            min_size=0,  # no connection floor to restore (and log) while the database is away
            max_size=POOL_SIZE,
            timeout=TIMEOUT,
            server_settings={"synchronous_commit": "off", "application_name": "plugin-limits"},
        )
        try:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await connection.execute(POSTGRES_SCHEMA)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def take(self, key: str, interval: float, tolerance: float) -> float:
        """Count one request in ``key``'s bucket: 0, or the seconds until one would fit."""
        if self._closing:
            raise RuntimeError("the rate-limit buckets are closed")
        wait: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pending.append((key, interval, tolerance, wait))
        self._wakeup.set()
        return await wait

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch: dict[str, Check] = {}
            later: list[Check] = []
            for check in self._pending:
                if check[0] in batch:
                    later.append(check)
                else:
                    batch[check[0]] = check
            self._pending = later
            if later:
                self._wakeup.set()
            if batch:
                await self._settle([batch[key] for key in sorted(batch)])
            elif self._closing:
                return

    async def _settle(self, checks: list[Check]) -> None:
        keys, steps, tolerances, waits = zip(*checks, strict=True)
        try:
            async with self._pool.acquire(timeout=TIMEOUT) as connection:
                rows = await connection.fetch(
                    POSTGRES_TAKE, keys, steps, tolerances, timeout=TIMEOUT
                )
        except Exception as error:  # each check learns of it (and fails open)
            for wait in waits:
                if not wait.done():
                    wait.set_exception(error)
            return
        answers = {key: float(seconds) for key, seconds in rows}
        for key, wait in zip(keys, waits, strict=True):
            if not wait.done():  # the request was cancelled meanwhile
                wait.set_result(answers[key])

    async def delete_expired(self) -> int:
        """Delete the rows of full buckets; how many."""
        async with self._pool.acquire(timeout=TIMEOUT) as connection:
            status: str = await connection.execute(POSTGRES_DELETE_EXPIRED, timeout=TIMEOUT)
        return int(status.split()[-1])

    async def close(self) -> None:
        """Answer the checks queued, then close the connections."""
        self._closing = True
        self._wakeup.set()
        await self._task
        try:
            await asyncio.wait_for(self._pool.close(), TIMEOUT)
        except TimeoutError:
            self._pool.terminate()
