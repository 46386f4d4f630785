"""What an MCP host relies on, seen by the official client (Python SDK ``mcp``) over HTTP
against the real server: every hint stated, the confirmation round trip of 2026-07-28
(accepted, declined) and its absence in 2025-11-25, and a long list paged under a declared
``anthropic/maxResultSizeChars``. One shared server; each test works on its own user."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import ElicitRequestParams, ElicitResult

from tests.servers import LiveServer

pytestmark = pytest.mark.slow

HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint", "title")


class User:
    """Answers each confirmation with ``action`` and keeps the questions it was asked."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


def stored(server: LiveServer, user: str) -> list[str]:
    todos: list[str] = httpx.get(f"{server.url}/todos/{user}").json()["todos"]
    return todos


def add(server: LiveServer, user: str, *texts: str) -> None:
    for text in texts:
        httpx.post(f"{server.url}/todos/{user}", json={"todo": text}).raise_for_status()


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_every_tool_states_every_hint(open_server: LiveServer, mode: str) -> None:
    async def scenario() -> dict[str, dict[str, Any]]:
        async with Client(f"{open_server.url}/mcp", mode=mode) as client:
            listed = await client.list_tools()
            return {
                tool.name: tool.annotations.model_dump(by_alias=True) if tool.annotations else {}
                for tool in listed.tools
            }

    annotations = asyncio.run(scenario())
    assert len(annotations) == 4
    for name, hints in annotations.items():
        assert all(hints.get(hint) is not None for hint in HINTS), (name, hints)
        assert hints["openWorldHint"] is False
    assert annotations["getTodos"]["readOnlyHint"] is True
    assert annotations["deleteTodoById"]["destructiveHint"] is True
    assert annotations["addTodo"]["destructiveHint"] is False


@pytest.mark.parametrize(("action", "kept"), [("accept", ["tea"]), ("decline", ["milk", "tea"])])
def test_a_delete_waits_for_the_users_answer_in_2026_07_28(
    open_server: LiveServer, action: str, kept: list[str]
) -> None:
    user = f"asked-{action}"
    add(open_server, user, "milk", "tea")
    person = User(action)

    async def scenario() -> Any:
        async with Client(
            f"{open_server.url}/mcp", mode="2026-07-28", elicitation_callback=person
        ) as client:
            return await client.call_tool("deleteTodo", {"username": user, "todo_idx": 0})

    result = asyncio.run(scenario())
    assert len(person.questions) == 1 and "Delete todo" in person.questions[0]
    assert stored(open_server, user) == kept
    if action == "accept":
        assert not result.is_error and result.structured_content["todo"] == "milk"
    else:
        assert result.is_error
        assert json.loads(result.content[0].text)["error"] == "not_confirmed"


def test_no_question_in_2025_11_25(open_server: LiveServer) -> None:
    add(open_server, "legacy-user", "milk")
    person = User("decline")

    async def scenario() -> Any:
        async with Client(
            f"{open_server.url}/mcp", mode="legacy", elicitation_callback=person
        ) as client:
            assert client.protocol_version == "2025-11-25"
            return await client.call_tool("deleteTodo", {"username": "legacy-user", "todo_idx": 0})

    result = asyncio.run(scenario())
    assert not result.is_error and person.questions == []
    assert stored(open_server, "legacy-user") == []


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_long_list_is_paged_under_the_declared_limit(open_server: LiveServer, mode: str) -> None:
    user = f"pager-{mode}"
    texts = [f"{number:02d} " + "z" * 1_000 for number in range(16)]
    add(open_server, user, *texts)
    limit = {"anthropic/maxResultSizeChars": 5_000}

    async def scenario() -> tuple[list[str], list[int]]:
        seen: list[str] = []
        sizes: list[int] = []
        offset = 0
        async with Client(f"{open_server.url}/mcp", mode=mode) as client:
            while offset is not None:
                page = await client.call_tool(
                    "getTodos",
                    {"username": user, "offset": offset},
                    meta=limit,  # type: ignore[arg-type]
                )
                assert not page.is_error and page.structured_content is not None
                text = page.content[0].text  # type: ignore[union-attr]
                assert json.loads(text) == page.structured_content  # whole JSON, never cut
                sizes.append(len(text))
                seen += page.structured_content["todos"]
                offset = page.structured_content["next_offset"]
        return seen, sizes

    seen, sizes = asyncio.run(scenario())
    assert seen == texts
    assert len(sizes) >= 4 and max(sizes) <= 5_000
