"""GCRA buckets: one number per caller, and the budgets they are counted in.

The generic cell rate algorithm keeps, per caller, the theoretical arrival time (TAT) of its
next request: a request at ``now`` is allowed if ``max(TAT, now) + interval - now`` stays within
the tolerance (the burst times the interval), and then moves the TAT by one interval. A TAT in
the past is a full bucket, the same as no bucket at all, so a forgotten caller loses nothing.

:class:`MemoryBuckets` keeps the TATs of one process in an ``OrderedDict`` used as an LRU: every
take moves its key to the end, and past ``capacity`` keys the least recently used one is
dropped. Both are O(1), so the cost of a request does not grow with the number of callers and
memory stays bounded, whatever the period. (A plain ``dict`` would not do: popping its first
item leaves a hole that every later ``next(iter(...))`` scans again.) A caller pushed out by
``capacity`` newer ones starts again with a full bucket; one that keeps calling, refused or not,
stays at the end and keeps its count.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..rates import Rate

__all__ = ["Budget", "Buckets", "MAX_CALLERS", "MemoryBuckets"]

MAX_CALLERS = 100_000  # buckets one process keeps: about 30 MB with keys of 100 characters


@dataclass(frozen=True, slots=True)
class Budget:
    """A rate with its burst, named so that budgets can share one table of buckets."""

    name: str
    interval: float  # seconds between requests once the burst is spent
    tolerance: float  # how far ahead of now the TAT may run: the burst times the interval

    @classmethod
    def of(cls, name: str, rate: Rate, burst: int = 0) -> Budget:
        """``rate`` with ``burst`` requests at once (0: the rate's count)."""
        interval = rate.period / rate.count
        return cls(name, interval, (burst or rate.count) * interval)

    def key(self, caller: str) -> str:
        """Where ``caller``'s bucket of this budget is kept."""
        return f"{self.name}|{caller}"


class Buckets(Protocol):
    """Where the buckets are kept: this process, or a table the whole deployment shares."""

    async def take(self, key: str, budget: Budget) -> float:
        """Count one request: 0 if it is allowed, else the seconds until one would be."""

    async def open(self) -> None:
        """Get ready to count (open a database)."""

    async def close(self) -> None:
        """Release whatever ``open`` took."""


class MemoryBuckets:
    """The buckets of this process, at most ``capacity`` of them (least recently used dropped)."""

    def __init__(
        self, capacity: int = MAX_CALLERS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._capacity = capacity
        self._clock = clock
        self._tats: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tats)

    def take_now(self, key: str, budget: Budget) -> float:
        """:meth:`take`, synchronously."""
        now = self._clock()
        tats = self._tats
        tat = tats.pop(key, now)
        arrival = max(tat, now) + budget.interval
        wait = arrival - now - budget.tolerance
        tats[key] = tat if wait > 0 else arrival
        if len(tats) > self._capacity:
            tats.popitem(last=False)
        return max(wait, 0.0)

    async def take(self, key: str, budget: Budget) -> float:
        return self.take_now(key, budget)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self._tats.clear()
