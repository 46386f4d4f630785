"""What a plugin's handlers may ask of the database: SQL written once for SQLite and PostgreSQL.

A handler gets a :class:`Database` (``db``) and writes plain SQL with ``?`` placeholders, which
PostgreSQL receives renumbered. It runs through the store's own machinery, so it behaves as the
server's own queries do: reads run off the event loop (batched on SQLite, pooled on
PostgreSQL); a write is committed durably before ``execute`` returns, and on SQLite the writes
of concurrent requests share one transaction and one fsync (group commit) without sharing
their fate (a failed write fails only its own request). Several statements that must apply
together are a :meth:`Database.transaction`: a generator yielding each :class:`Query` and sent
back its rows, so the same code runs on SQLite's writer thread and on asyncpg.

Rows are tuples, the same Python types on both databases for the portable column types
(integers, text, ``{double}``, ``{blob}`` bytes, NULL as None). PostgreSQL's TEXT cannot hold NUL:
text is stored there with NUL as ``\\0`` and a backslash doubled and read back exactly, so any
string the API accepts round-trips (SQL functions over text, e.g. ``length``, see that form).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

import asyncpg

from .queries import Dialect, Done, Operation, Query, Row, advance

__all__ = ["ConstraintViolation", "Database", "Lock", "Query", "Row", "Work"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lock:
    """Yielded inside a transaction: wait until no other transaction holds ``key``, then hold
    it until this one ends. PostgreSQL takes an advisory lock (instances write concurrently);
    SQLite needs none, its one writer already runs one transaction at a time."""

    key: str


Work = Generator[Query | Lock, list[Row], T]


class ConstraintViolation(Exception):
    """A write broke a constraint of the schema (UNIQUE, CHECK, a foreign key, NOT NULL).

    Nothing of the write (or of its transaction) was stored. A handler turns the one it expects
    into an answer, e.g. ``Conflict`` (409) for a UNIQUE key already taken.
    """


class _Runs(Protocol):
    """The store underneath: how it runs an operation of queries.py."""

    _dialect: ClassVar[Dialect]

    async def _read(self, operation: Callable[..., Operation[T]], *args: Any) -> T: ...

    async def _write(self, operation: Callable[..., Operation[T]], *args: Any) -> T: ...

    async def _run_statement(self, query: Query, write: bool) -> list[Row]: ...


def _stored(dialect: Dialect, parameters: Sequence[Any]) -> Sequence[Any]:
    return [dialect.stored_text(p) if isinstance(p, str) else p for p in parameters]


def _read_back(dialect: Dialect, rows: list[Row]) -> list[Row]:
    """``rows`` as the handler gets them: text unescaped where the database needed it."""
    if not dialect.escapes_text:
        return rows
    return [
        tuple(dialect.read_text(value) if isinstance(value, str) else value for value in row)
        for row in rows
    ]


def _query(dialect: Dialect, query: Query) -> Query:
    """``query`` as the database receives it: text escaped where the database needs it."""
    if not dialect.escapes_text:
        return query
    if query.many:
        return Query(query.sql, [_stored(dialect, row) for row in query.parameters], many=True)
    return Query(query.sql, _stored(dialect, query.parameters))


def _statement(dialect: Dialect, query: Query) -> Operation[list[Row]]:
    rows = yield _query(dialect, query)
    return _read_back(dialect, rows)


def _transaction(
    dialect: Dialect, work: Callable[..., Work[T]], args: tuple[Any, ...]
) -> Operation[T]:
    """Run a handler's generator, translating what it yields for this database."""
    steps = work(*args)
    step = advance(steps, None)
    while not isinstance(step, Done):
        if isinstance(step, Lock):
            rows: list[Row] = []
            if dialect.owner_lock:
                yield Query(dialect.owner_lock, (step.key,))
        elif isinstance(step, Query):
            rows = yield from _statement(dialect, step)
        else:
            raise TypeError(f"a transaction yields Query or Lock, not {type(step).__name__}")
        step = advance(steps, rows)
    return step.result


def _violation(error: Exception) -> ConstraintViolation | None:
    if isinstance(error, (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)):
        return ConstraintViolation(str(error))
    return None


class Database:
    """A plugin's handle on the database; the module docstring says how each call runs."""

    def __init__(self, store: _Runs) -> None:
        self._store = store
        self._dialect = store._dialect
        self.dialect = store._dialect.name  # "sqlite" or "postgresql", for what must differ

    async def fetch(self, sql: str, *parameters: Any) -> list[Row]:
        """The rows a read-only statement returns."""
        return await self._one(Query(sql, parameters), write=False)

    async def fetch_one(self, sql: str, *parameters: Any) -> Row | None:
        """The first row a read-only statement returns, or None."""
        rows = await self.fetch(sql, *parameters)
        return rows[0] if rows else None

    async def execute(self, sql: str, *parameters: Any) -> list[Row]:
        """Run one write, committed durably before this returns; the rows it returns
        (``RETURNING``). Raises :class:`ConstraintViolation` with nothing written."""
        return await self._guarded(self._one(Query(sql, parameters), write=True))

    async def transaction(self, work: Callable[..., Work[T]], *args: Any) -> T:
        """Run ``work(*args)``, a generator of statements, as one transaction committed
        durably before this returns; what it returns. Raises :class:`ConstraintViolation` (or
        whatever ``work`` raised) with nothing of it written."""
        return await self._guarded(self._store._write(_transaction, self._dialect, work, args))

    async def _guarded(self, write: Awaitable[T]) -> T:
        try:
            return await write
        except Exception as error:
            violation = _violation(error)
            if violation is None:
                raise
            raise violation from None

    async def _one(self, query: Query, write: bool) -> list[Row]:
        """One statement as :func:`_statement` runs it, without a generator around it."""
        rows = await self._store._run_statement(_query(self._dialect, query), write)
        return _read_back(self._dialect, rows)
