"""The TODO API through the app (fast): the quickstart's contract, ids, paging, errors."""

from __future__ import annotations

from quart.testing import QuartClient


async def test_empty_user_has_empty_list(client: QuartClient) -> None:
    response = await client.get("/todos/nobody")
    assert response.status_code == 200
    assert (await response.get_json())["todos"] == []


async def test_add_list_delete_by_index_and_id(client: QuartClient) -> None:
    first = await (await client.post("/todos/ann", json={"todo": "milk"})).get_json()
    second = await (await client.post("/todos/ann", json={"todo": "eggs"})).get_json()
    assert first["todo"] == "milk" and second["id"] > first["id"]
    listed = await (await client.get("/todos/ann")).get_json()
    assert listed["todos"] == ["milk", "eggs"]
    assert [item["id"] for item in listed["items"]] == [first["id"], second["id"]]
    deleted = await client.delete("/todos/ann", json={"todo_idx": 0})
    assert (await deleted.get_json())["id"] == first["id"]
    by_id = await client.delete(f"/todos/ann/{second['id']}")
    assert by_id.status_code == 200
    assert (await (await client.get("/todos/ann")).get_json())["todos"] == []


async def test_unknown_index_id_and_user_are_404(client: QuartClient) -> None:
    await client.post("/todos/ann", json={"todo": "milk"})
    for response in (
        await client.delete("/todos/ann", json={"todo_idx": 1}),
        await client.delete("/todos/ghost", json={"todo_idx": 0}),
        await client.delete("/todos/ann/999999"),
    ):
        assert response.status_code == 404
        assert (await response.get_json())["error"] == "not_found"


async def test_lists_are_per_user(client: QuartClient) -> None:
    await client.post("/todos/ann", json={"todo": "ann's"})
    todo = await (await client.post("/todos/bob", json={"todo": "bob's"})).get_json()
    assert (await (await client.get("/todos/ann")).get_json())["todos"] == ["ann's"]
    assert (await client.delete(f"/todos/ann/{todo['id']}")).status_code == 404


async def test_json_nested_too_deep_is_400_not_500(client: QuartClient) -> None:
    response = await client.post(
        "/todos/ann", data=b"[" * 50_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "bad_request"
