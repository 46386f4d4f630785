"""Tool results within the client's budget (fast): a long list comes back a whole page at a
time with the API's cursor, never cut; a result that cannot be paged is a clear tool error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quart.testing import QuartClient

from plugin import Settings, create_app

from .mcp_specs import set_x_mcp
from .test_mcp_endpoint import call, message, post, todos

LIMIT = "anthropic/maxResultSizeChars"


async def call_with_meta(
    client: QuartClient, name: str, arguments: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments, "_meta": meta}
    status, body = await post(
        client, message("tools/call", params), {"MCP-Protocol-Version": "2025-11-25"}
    )
    assert status == 200
    result: dict[str, Any] = body["result"]
    return result


async def fill(client: QuartClient, count: int, size: int) -> list[str]:
    texts = [f"{number:03d} " + "x" * (size - 4) for number in range(count)]
    for text in texts:
        await call(client, "addTodo", {"username": "ann", "todo": text})
    return texts


def text_of(result: dict[str, Any]) -> str:
    text: str = result["content"][0]["text"]
    return text


async def test_a_long_list_comes_back_in_whole_pages_under_the_declared_limit(
    client: QuartClient,
) -> None:
    texts = await fill(client, 30, 900)
    seen: list[str] = []
    offset = 0
    pages = 0
    while offset is not None:
        arguments = {"username": "ann", "offset": offset}
        result = await call_with_meta(client, "getTodos", arguments, {LIMIT: 8_000})
        assert result["isError"] is False and len(text_of(result)) <= 8_000
        assert json.loads(text_of(result)) == result["structuredContent"]
        page = result["structuredContent"]
        seen += page["todos"]
        offset = page["next_offset"]
        pages += 1
    assert seen == texts and pages >= 4


async def test_a_list_within_the_limit_is_untouched(client: QuartClient) -> None:
    texts = await fill(client, 30, 900)
    result = await call_with_meta(client, "getTodos", {"username": "ann"}, {LIMIT: 500_000})
    assert result["structuredContent"]["todos"] == texts
    assert result["structuredContent"]["next_offset"] is None


async def test_without_a_declared_limit_the_setting_is_the_budget(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(mcp_result_chars=5_000))
    async with app.test_app():
        client = app.test_client()
        await fill(client, 12, 900)
        result = await call(client, "getTodos", {"username": "ann"})
        assert len(text_of(result)) <= 5_000 and result["structuredContent"]["next_offset"]
        for bad in ("many", 0, -5, True):  # not a positive number: the default applies
            declared = await call_with_meta(client, "getTodos", {"username": "ann"}, {LIMIT: bad})
            assert declared == result


async def test_a_result_without_paging_over_the_limit_is_an_error_not_a_cut(
    client: QuartClient,
) -> None:
    todo = {"username": "ann", "todo": "y" * 1_500}
    result = await call_with_meta(client, "addTodo", todo, {LIMIT: 1_000})
    assert result["isError"] is True and "structuredContent" not in result
    error = json.loads(text_of(result))
    assert error["error"] == "result_too_large"
    assert "addTodo ran" in error["error_description"] and "no paging" in error["error_description"]
    assert await todos(client, "ann") == ["y" * 1_500]


async def test_one_item_over_the_limit_is_an_error(client: QuartClient) -> None:
    await fill(client, 3, 1_800)
    result = await call_with_meta(client, "getTodos", {"username": "ann"}, {LIMIT: 1_000})
    error = json.loads(text_of(result))
    assert result["isError"] is True and error["error"] == "result_too_large"
    assert "even one item at a time" in error["error_description"]


async def test_a_tool_that_is_not_read_only_is_never_run_again_for_a_smaller_page(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    set_x_mcp(plugin_root, "/todos/{username}", "get", readOnlyHint=False)
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        await fill(client, 5, 900)
        result = await call_with_meta(client, "getTodos", {"username": "ann"}, {LIMIT: 2_000})
        error = json.loads(text_of(result))
        assert result["isError"] is True and error["error"] == "result_too_large"
        assert "not read-only" in error["error_description"]
