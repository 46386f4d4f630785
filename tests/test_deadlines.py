"""Deadlines (plugin/deadlines.py): a wait past its deadline becomes TimeoutError, any other
cancellation of the request stays a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from plugin.deadlines import Deadlines


async def _waiting_read(deadlines: Deadlines) -> asyncio.Task[object]:
    never: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    async def read() -> object:
        return await never

    task = asyncio.create_task(deadlines.wait(read, asyncio.get_running_loop().time()))
    await asyncio.sleep(0)  # registered and waiting
    return task


async def test_a_read_past_its_deadline_times_out() -> None:
    deadlines = Deadlines(resolution=0.05)
    task = await _waiting_read(deadlines)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(task, 2)  # the sweeper's own schedule
    assert not task.cancelled()


async def test_a_request_cancelled_by_others_as_its_deadline_passes_stays_cancelled() -> None:
    deadlines = Deadlines(resolution=15)
    task = await _waiting_read(deadlines)
    deadlines._expire(asyncio.get_running_loop())  # the sweep, now rather than in a second
    task.cancel()  # e.g. the server shutting down, in the same turn
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
