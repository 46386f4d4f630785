"""Paging: limit/offset and next_offset, and no page over the model's 100,000-character limit."""

from __future__ import annotations

from typing import Any

from quart.testing import QuartClient

from .spec_limits import MAX_TODO_CHARS

MODEL_LIMIT = 100_000


async def page(client: QuartClient, query: str) -> tuple[Any, str]:
    response = await client.get(f"/todos/ann?{query}")
    assert response.status_code == 200
    text = (await response.get_data()).decode()
    return await response.get_json(), text


async def test_limit_offset_and_next_offset(client: QuartClient) -> None:
    texts = [f"todo {n}" for n in range(5)]
    for text in texts:
        await client.post("/todos/ann", json={"todo": text})
    first, _ = await page(client, "limit=2")
    assert first["todos"] == texts[:2] and first["offset"] == 0 and first["next_offset"] == 2
    second, _ = await page(client, "limit=2&offset=2")
    assert second["todos"] == texts[2:4] and second["next_offset"] == 4
    last, _ = await page(client, "limit=2&offset=4")
    assert last["todos"] == texts[4:] and last["next_offset"] is None
    exact, _ = await page(client, "limit=5")
    assert exact["todos"] == texts and exact["next_offset"] is None
    beyond, _ = await page(client, "offset=99")
    assert beyond["todos"] == [] and beyond["items"] == [] and beyond["next_offset"] is None
    default, _ = await page(client, "")
    assert default["todos"] == texts and default["offset"] == 0


def escaped_todo(n: int) -> str:
    """A todo of the maximum length whose JSON form is as long as it gets (\\u0001 is 6 chars)."""
    unit = ["\x01", '"', "\\", "\n", "\x1f", "\x00"][n % 6]
    return (f"{n}:" + unit * MAX_TODO_CHARS)[:MAX_TODO_CHARS]


async def test_pages_stay_under_the_limit_and_return_every_todo_once(client: QuartClient) -> None:
    stored = {}
    for n in range(40):
        item = await (await client.post("/todos/ann", json={"todo": escaped_todo(n)})).get_json()
        stored[item["id"]] = item["todo"]
    assert all(len(text) == MAX_TODO_CHARS for text in stored.values())
    seen: dict[int, str] = {}
    offset = 0
    pages = 0
    while offset is not None:
        answer, text = await page(client, f"limit=500&offset={offset}")
        assert len(text) < MODEL_LIMIT
        assert answer["todos"] == [item["todo"] for item in answer["items"]]
        assert answer["items"], "a page that is not the last must hold something"
        for item in answer["items"]:
            assert item["id"] not in seen
            seen[item["id"]] = item["todo"]
        offset = answer["next_offset"]
        pages += 1
    assert pages > 1  # the budget, not the limit, cut the pages
    assert list(seen) == sorted(stored)
    assert seen == stored
