"""Deadlines for waits that nearly always end in time: one sweeper, not a timer per wait.

``asyncio.timeout`` around a wait costs about 6.5 us (its timer is made, pushed on the loop's
heap and cancelled again), measured in a loop here: some 2% of a whole ``POST /todos`` for the
wait for a body (edge.py), and as much again for sending the answer (lean_quart.py), paid
although nearly every body has arrived before the app reads it and nearly every answer fits in
the socket's buffer. Instead a wait registers its task and deadline in a dict, and one sweeper
task, running only while something waits, cancels those past their deadline every
``resolution`` seconds. A deadline is then met up to ``resolution`` late, which a client that
stalled for the whole timeout does not notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["MAX_LATE_SECONDS", "Deadlines"]

T = TypeVar("T")
MAX_LATE_SECONDS = 1.0  # the coarsest resolution the server's own deadlines use


class Deadlines:
    def __init__(self, resolution: float) -> None:
        self._sweep_every = resolution
        self._waiting: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def wait(self, read: Callable[[], Awaitable[T]], deadline: float) -> T:
        """``await read()``, or :class:`TimeoutError` once the loop's clock passes ``deadline``.

        The task is cancelled at its deadline: ``read`` may be any wait, and its cleanup runs."""
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
        """Cancel the waits of ``loop`` past their deadline; forget those of closed loops."""
        now = loop.time()
        for task, deadline in list(self._waiting.items()):
            if task.done() or task.get_loop().is_closed():
                del self._waiting[task]
            elif deadline <= now and task.get_loop() is loop:
                del self._waiting[task]
                self._expired.add(task)
                task.cancel()
