"""Deadlines for request bodies: one sweep a fraction of the timeout, not a timer per read.

``asyncio.timeout`` around each wait for more of a body costs about 6.5 us (its timer is made,
pushed on the loop's heap and cancelled again), measured in a loop here: some 2% of a whole
``POST /todos``, paid although nearly every body has arrived before the app reads it. Instead a
waiting read registers its task and deadline in a dict, and one sweeper task, running only
while some read waits, cancels those past their deadline. The 408 then comes up to a quarter
of the timeout late (at most a second), which a client that stalled for the whole timeout does
not notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["BodyDeadlines"]

T = TypeVar("T")
MAX_SWEEP_SECONDS = 1.0


class BodyDeadlines:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._sweep_every = min(MAX_SWEEP_SECONDS, timeout / 4)
        self._waiting: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def wait(self, read: Callable[[], Awaitable[T]], deadline: float) -> T:
        """``await read()``, or :class:`TimeoutError` once the loop's clock passes ``deadline``."""
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()  # cancellations asked for by others, before this wait
        self._waiting[task] = deadline
        sweeper = self._sweeper
        if sweeper is None or sweeper.done() or sweeper.get_loop() is not task.get_loop():
            self._sweeper = task.get_loop().create_task(self._sweep())
        try:
            return await read()
        except asyncio.CancelledError:
            if task not in self._expired:
                raise
            self._expired.discard(task)
            if task.uncancel() > cancelling:  # someone else cancelled it too: that one stands
                raise
            raise TimeoutError from None
        finally:
            self._waiting.pop(task, None)

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            await asyncio.sleep(self._sweep_every)
            self._expire(loop)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancel the reads of ``loop`` past their deadline; forget those of closed loops."""
        now = loop.time()
        for task, deadline in list(self._waiting.items()):
            if task.done() or task.get_loop().is_closed():
                del self._waiting[task]
            elif deadline <= now and task.get_loop() is loop:
                del self._waiting[task]
                self._expired.add(task)
                task.cancel()
