"""Hundreds of concurrent writes through the group commit: every one stored exactly once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.servers import LiveServer

pytestmark = pytest.mark.slow

WRITES = 300


async def test_concurrent_posts_are_all_stored(open_server: LiveServer) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=open_server.url, limits=limits, timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post("/todos/crowd", json={"todo": f"todo {n}"}) for n in range(WRITES))
        )
        assert [response.status_code for response in responses] == [200] * WRITES
        created = [response.json() for response in responses]
        ids = [item["id"] for item in created]
        assert len(set(ids)) == WRITES
        assert {item["todo"] for item in created} == {f"todo {n}" for n in range(WRITES)}
        listed = (await http.get("/todos/crowd", params={"limit": 500})).json()
        assert len(listed["items"]) == WRITES and listed["next_offset"] is None
        assert {item["id"]: item["todo"] for item in listed["items"]} == {
            item["id"]: item["todo"] for item in created
        }
        # Concurrent deletes by id remove exactly those, and nothing else.
        doomed = ids[::3]
        deleted = await asyncio.gather(*(http.delete(f"/todos/crowd/{i}") for i in doomed))
        assert [response.status_code for response in deleted] == [200] * len(doomed)
        again = await asyncio.gather(*(http.delete(f"/todos/crowd/{i}") for i in doomed[:20]))
        assert [response.status_code for response in again] == [404] * 20
        left = (await http.get("/todos/crowd", params={"limit": 500})).json()
        assert [item["id"] for item in left["items"]] == sorted(set(ids) - set(doomed))
