"""Consequential tool calls through the app (fast): a 2026-07-28 client with elicitation is
asked first and the retry runs only with a valid state; every other client is served as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app

from .mcp_specs import set_x_mcp
from .test_mcp_endpoint import META, MODERN, call, message, post, todos

ASKING = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
DELETE = {"name": "deleteTodo", "arguments": {"username": "ann", "todo_idx": 0}}


async def modern_call(
    client: QuartClient, params: dict[str, Any], meta: dict[str, Any] = ASKING
) -> tuple[int, Any]:
    headers = {
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": params["name"],
    }
    return await post(client, message("tools/call", {**params, "_meta": meta}), headers)


async def with_todos(client: QuartClient, *texts: str) -> None:
    for text in texts:
        await call(client, "addTodo", {"username": "ann", "todo": text})


async def test_a_delete_is_asked_first_and_runs_once_accepted(client: QuartClient) -> None:
    await with_todos(client, "milk", "tea")
    status, body = await modern_call(client, DELETE)
    asked = body["result"]
    assert status == 200 and asked["resultType"] == "input_required"
    question = asked["inputRequests"]["confirm"]
    assert question["method"] == "elicitation/create" and question["params"]["mode"] == "form"
    assert "Delete todo" in question["params"]["message"]
    assert await todos(client, "ann") == ["milk", "tea"]
    answer = {
        "inputResponses": {"confirm": {"action": "accept"}},
        "requestState": asked["requestState"],
    }
    status, body = await modern_call(client, {**DELETE, **answer})
    assert status == 200 and body["result"]["resultType"] == "complete"
    assert body["result"]["structuredContent"]["todo"] == "milk"
    assert await todos(client, "ann") == ["tea"]


@pytest.mark.parametrize(("action", "words"), [("decline", "declined"), ("cancel", "dismissed")])
async def test_a_declined_delete_runs_nothing_and_says_so(
    client: QuartClient, action: str, words: str
) -> None:
    await with_todos(client, "milk")
    _, body = await modern_call(client, DELETE)
    answer = {
        "inputResponses": {"confirm": {"action": action}},
        "requestState": body["result"]["requestState"],
    }
    _, body = await modern_call(client, {**DELETE, **answer})
    result = body["result"]
    assert result["isError"] is True and result["resultType"] == "complete"
    assert '"error": "not_confirmed"' in result["content"][0]["text"]
    assert (
        words in result["content"][0]["text"] and "nothing changed" in result["content"][0]["text"]
    )
    assert await todos(client, "ann") == ["milk"]


async def test_an_answer_without_the_servers_state_is_asked_again(client: QuartClient) -> None:
    await with_todos(client, "milk")
    made_up = {**DELETE, "inputResponses": {"confirm": {"action": "accept"}}}
    _, body = await modern_call(client, made_up)
    assert body["result"]["resultType"] == "input_required"
    status, body = await modern_call(client, {**made_up, "requestState": "c1.e30.forged"})
    assert status == 400 and body["error"]["code"] == -32602
    assert body["error"]["data"] == {"reason": "signature"}
    assert await todos(client, "ann") == ["milk"]


async def test_a_state_for_other_arguments_is_refused(client: QuartClient) -> None:
    await with_todos(client, "milk", "tea")
    _, body = await modern_call(client, DELETE)
    other = {"name": "deleteTodo", "arguments": {"username": "ann", "todo_idx": 1}}
    answer = {
        "inputResponses": {"confirm": {"action": "accept"}},
        "requestState": body["result"]["requestState"],
    }
    status, body = await modern_call(client, {**other, **answer})
    assert status == 400 and body["error"]["data"] == {"reason": "another call or caller"}
    assert await todos(client, "ann") == ["milk", "tea"]


async def test_invalid_arguments_are_refused_before_asking(client: QuartClient) -> None:
    _, body = await modern_call(client, {"name": "deleteTodo", "arguments": {"username": "ann"}})
    assert body["result"]["isError"] is True and "resultType" in body["result"]
    assert body["result"]["resultType"] == "complete"


async def test_reads_and_additions_are_not_asked(client: QuartClient) -> None:
    _, body = await modern_call(
        client, {"name": "addTodo", "arguments": {"username": "ann", "todo": "x"}}
    )
    assert body["result"]["resultType"] == "complete" and body["result"]["isError"] is False


async def run_at_once(client: QuartClient, meta: dict[str, Any] = ASKING) -> None:
    await with_todos(client, "milk")
    _, body = await modern_call(client, DELETE, meta)
    assert body["result"]["resultType"] == "complete" and body["result"]["isError"] is False
    assert await todos(client, "ann") == []


async def test_a_client_that_cannot_ask_is_served_as_before(client: QuartClient) -> None:
    await run_at_once(client, META)  # clientCapabilities without elicitation


async def test_url_only_elicitation_cannot_show_the_form(client: QuartClient) -> None:
    meta = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"url": {}}}}
    await run_at_once(client, meta)


async def test_legacy_clients_are_served_as_before(client: QuartClient) -> None:
    await with_todos(client, "milk")
    result = await call(client, "deleteTodo", {"username": "ann", "todo_idx": 0})
    assert result["isError"] is False and "resultType" not in result
    assert await todos(client, "ann") == []


async def test_the_setting_turns_confirmation_off(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(mcp_confirm=False))
    async with app.test_app():
        await run_at_once(app.test_client())


async def test_x_mcp_opts_a_tool_out(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    set_x_mcp(plugin_root, "/todos/{username}", "delete", confirm=False)
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        await run_at_once(app.test_client())


async def test_a_state_from_another_server_secret_is_refused(
    make_settings: Callable[..., Settings],
) -> None:
    apps = [create_app(make_settings(mcp_state_secret=secret * 32)) for secret in "ab"]
    async with apps[0].test_app(), apps[1].test_app():
        first, second = (app.test_client() for app in apps)
        await with_todos(first, "milk")
        _, body = await modern_call(first, DELETE)
        answer = {
            "inputResponses": {"confirm": {"action": "accept"}},
            "requestState": body["result"]["requestState"],
        }
        status, _ = await modern_call(second, {**DELETE, **answer})
        assert status == 400
        status, body = await modern_call(first, {**DELETE, **answer})
        assert body["result"]["isError"] is False  # the same secret: a second worker would accept
        assert await todos(first, "ann") == []
