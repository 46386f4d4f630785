"""Several workers, several instances, and crashes: no acknowledged write is lost or doubled.

Each test runs on SQLite and on PostgreSQL (the ``database`` fixture); two instances sharing
one database is PostgreSQL's alone.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.postgres import PostgresCluster
from tests.servers import LiveServer

pytestmark = pytest.mark.slow

WRITERS = 200


async def _write(urls: list[str], owner: str, count: int) -> list[str]:
    """``count`` concurrent POSTs spread over ``urls``; the texts that got a 2xx."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:

        async def one(index: int) -> str | None:
            text = f"todo {index}"
            try:
                response = await http.post(
                    f"{urls[index % len(urls)]}/todos/{owner}", json={"todo": text}
                )
            except httpx.TransportError:
                return None
            return text if response.is_success else None

        done = await asyncio.gather(*(one(index) for index in range(count)))
    return [text for text in done if text is not None]


def _texts(url: str, owner: str) -> list[str]:
    texts: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = httpx.get(f"{url}/todos/{owner}", params={"limit": 500, "offset": offset}).json()
        texts += page["todos"]
        offset = page["next_offset"]
    return texts


def test_four_workers_two_hundred_writers_exact_count(
    database: str, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server({"PLUGIN_DATABASE": database, "PLUGIN_WORKERS": "4"})
    acknowledged = asyncio.run(_write([server.url], "many", WRITERS))
    assert len(acknowledged) == WRITERS
    stored = _texts(server.url, "many")
    assert sorted(stored) == sorted(acknowledged)  # none lost, none doubled
    assert server.stop() == 0


async def _interrupt_under_load(server: LiveServer, owner: str, sig: int) -> list[str]:
    """20 writers in a loop; once 100 writes are acknowledged, ``sig`` hits the server."""
    acknowledged: list[str] = []
    enough = asyncio.Event()

    async def writer(http: httpx.AsyncClient, number: int) -> None:
        for index in range(10_000):
            text = f"todo {number}-{index}"
            try:
                response = await http.post(f"{server.url}/todos/{owner}", json={"todo": text})
            except httpx.TransportError:
                return
            if not response.is_success:
                return
            acknowledged.append(text)
            if len(acknowledged) >= 100:
                enough.set()

    async with httpx.AsyncClient(timeout=30) as http:
        writers = [asyncio.create_task(writer(http, number)) for number in range(20)]
        await asyncio.wait_for(enough.wait(), 60)
        assert server.process is not None
        server.process.send_signal(sig)
        await asyncio.gather(*writers)
    return acknowledged


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_interrupted_under_write_load_keeps_every_acknowledged_write(
    database: str, live_server: Callable[..., LiveServer], sig: int
) -> None:
    server = live_server({"PLUGIN_DATABASE": database})
    acknowledged = asyncio.run(_interrupt_under_load(server, "load", sig))
    assert server.process is not None
    status = server.process.wait(30)
    if sig == signal.SIGTERM:
        assert status == 0  # drained in-flight requests and the write batch, then exited
    server.start()
    stored = _texts(server.url, "load")
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))
    # A write may be stored whose answer never reached its client (the connection closed as
    # the server stopped): only the one request each writer had in flight, nothing else.
    sent_per_writer = Counter(text.split()[1].split("-")[0] for text in acknowledged)
    for extra in set(stored) - set(acknowledged):
        writer, index = extra.split()[1].split("-")
        assert int(index) == sent_per_writer[writer], extra


def test_two_instances_on_one_postgresql_are_one_service(
    postgres: PostgresCluster, live_server: Callable[..., LiveServer]
) -> None:
    database = postgres.new_database()
    first = live_server({"PLUGIN_DATABASE": database})
    second = live_server({"PLUGIN_DATABASE": database})
    written = httpx.post(f"{first.url}/todos/ann", json={"todo": "through one"}).json()
    assert _texts(second.url, "ann") == ["through one"]
    acknowledged = asyncio.run(_write([first.url, second.url], "both", WRITERS))
    assert len(acknowledged) == WRITERS
    assert sorted(_texts(first.url, "both")) == sorted(acknowledged)

    # Deleting "the first todo" through both at once deletes two different todos.
    async def delete_first() -> list[int]:
        async with httpx.AsyncClient() as http:
            answers = await asyncio.gather(
                *(
                    http.request("DELETE", f"{url}/todos/both", json={"todo_idx": 0})
                    for url in (first.url, second.url)
                )
            )
        return [answer.json()["id"] for answer in answers]

    assert len(set(asyncio.run(delete_first()))) == 2
    deleted = httpx.delete(f"{second.url}/todos/ann/{written['id']}")
    assert deleted.status_code == 200
    assert _texts(first.url, "ann") == []
