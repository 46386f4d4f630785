"""Where the buckets are kept: this process's memory, or the database the deployment shares.

In memory, each worker process and each instance counts on its own, so ``--workers N`` gives a
caller up to N budgets. In the database (``plugin/storage/buckets.py``) every process counts in
the same bucket. ``PLUGIN_RATE_LIMIT_STORE=auto`` picks the database whenever there is more than
one process to agree (``--workers`` above 1, or PostgreSQL, which is there to be shared by
instances) and memory for a single process on SQLite, where the database adds a cost and shares
with nobody (bench/README.md, "Shared rate limits").

A limiter that cannot reach its database lets the request through: refusing every caller, or
answering 500, because a cache of counters is unreachable would be worse than not counting for a
while. The first failure is logged and so is the recovery, not each request; after a failure
the database is left alone for ``RETRY_SECONDS``, so a database that hangs costs one request a
timeout, not every request.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from pathlib import Path

from ..config import Settings, is_database_url
from ..storage.buckets import PostgresBuckets, SQLiteBuckets, limiter_path
from .gcra import Buckets, Budget, MemoryBuckets

__all__ = ["SharedBuckets", "buckets_for"]

logger = logging.getLogger(__name__)

CLEANUP_SECONDS = 60.0  # between deletions of expired rows, each process on its own
RETRY_SECONDS = 5.0


def buckets_for(settings: Settings) -> Buckets:
    """The buckets ``PLUGIN_RATE_LIMIT_STORE`` asks for (see the module docstring for auto)."""
    store = settings.rate_limit_store
    if store == "auto":
        several = settings.workers > 1 or is_database_url(settings.database)
        store = "database" if several else "memory"
    return SharedBuckets(settings.database) if store == "database" else MemoryBuckets()


class SharedBuckets:
    """The buckets in the deployment's database; a check that fails lets its request through."""

    def __init__(self, database: str, retry_seconds: float = RETRY_SECONDS) -> None:
        self._database = database
        self._retry_seconds = retry_seconds
        self._store: SQLiteBuckets | PostgresBuckets | None = None
        self._cleanup: asyncio.Task[None] | None = None
        self._failing = False
        self._resume_at = 0.0

    async def open(self) -> None:
        if is_database_url(self._database):
            self._store = await PostgresBuckets.open(self._database)
        else:
            self._store = await SQLiteBuckets.open(limiter_path(Path(self._database)))
        self._cleanup = asyncio.get_running_loop().create_task(self._clean_up())

    async def take(self, key: str, budget: Budget) -> float:
        if self._store is None or time.monotonic() < self._resume_at:
            return 0.0
        try:
            wait = await self._store.take(key, budget.interval, budget.tolerance)
        except Exception as error:  # whatever the driver raises: the request must go on
            self._failed(error)
            return 0.0
        if self._failing:
            self._failing = False
            logger.warning("rate limits: the database answers again; counting resumes")
        return wait

    def _failed(self, error: Exception) -> None:
        self._resume_at = time.monotonic() + self._retry_seconds
        if not self._failing:
            self._failing = True
            logger.warning(
                "rate limits: the database does not answer (%s: %s); requests are let through "
                "uncounted until it does",
                type(error).__name__,
                error,
            )

    async def delete_expired(self) -> int:
        """Delete the rows of full buckets (they are the same as none); how many."""
        if self._store is None or time.monotonic() < self._resume_at:
            return 0
        try:
            return await self._store.delete_expired()
        except Exception as error:  # as in take: a limiter's chore never stops the server
            self._failed(error)
            return 0

    async def _clean_up(self) -> None:
        """Delete expired rows now and then; jittered, so workers started together spread out."""
        while True:
            await asyncio.sleep(CLEANUP_SECONDS * random.uniform(0.5, 1.5))
            await self.delete_expired()

    async def close(self) -> None:
        if self._cleanup is not None:
            self._cleanup.cancel()
        if self._store is not None:
            await self._store.close()
            self._store = None
