"""Random JSON-RPC traffic on ``/mcp`` (fast): every answer is a 202 or a JSON body with a
client-error or success status, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin import Settings, create_app

KEYS = ["username", "todo", "todo_idx", "limit", "offset", "todo_id", "name", "arguments"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
methods = st.sampled_from(
    ["initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/x", "x"]
)
tool_calls = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["getTodos", "addTodo", "deleteTodo", "deleteTodoById", "nope"]),
        "arguments": st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5) | json_values,
    }
)
meta = st.fixed_dictionaries(
    {
        "io.modelcontextprotocol/protocolVersion": st.sampled_from(["2026-07-28", "1.0"]),
        "io.modelcontextprotocol/clientCapabilities": json_values,
    }
)
messages = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0"]), "method": methods | json_values},
    optional={
        "id": st.integers() | st.text(max_size=4) | json_values,
        "params": (tool_calls | json_values).flatmap(
            lambda params: (
                st.just(params)
                if not isinstance(params, dict)
                else st.builds(
                    lambda extra: {**params, **extra},
                    st.just({}) | meta.map(lambda m: {"_meta": m}),
                )
            )
        ),
    },
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "MCP-Protocol-Version": st.sampled_from(["2026-07-28", "2025-06-18", "2025-11-25", "x"]),
        "Mcp-Method": st.sampled_from(["tools/call", "tools/list", "server/discover"]),
        "Mcp-Name": st.sampled_from(
            ["addTodo", "getTodos", "=?base64?!!?=", "=?base64?YWRkVG9kbw==?="]
        ),
    },
)
ALLOWED = {200, 202, 400, 404}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(traffic=st.lists(st.tuples(messages | json_values, headers), min_size=1, max_size=8))
def test_no_message_is_answered_with_a_server_error(
    make_settings: Callable[..., Settings], traffic: list[tuple[Any, dict[str, str]]]
) -> None:
    async def run() -> None:
        app = create_app(make_settings())
        async with app.test_app():
            client = app.test_client()
            for body, sent in traffic:
                response = await client.post(
                    "/mcp",
                    data=json.dumps(body),
                    headers={"Content-Type": "application/json", **sent},
                )
                assert response.status_code in ALLOWED, (body, sent)
                if response.status_code != 202:
                    answer = await response.get_json()
                    assert answer["jsonrpc"] == "2.0" and ("result" in answer or "error" in answer)

    asyncio.run(run())
