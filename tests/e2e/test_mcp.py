"""``/mcp`` on the real server: the official MCP client, raw HTTP for each protocol version,
live spec and widget edits, per-user isolation and bad input."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import SERVICE_TOKEN
from tests.mcp_specs import mirror_username
from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import PASSWORD

pytestmark = pytest.mark.slow

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}
NEW_OPERATION = """
  /todos/{username}/count:
    get:
      operationId: countTodos
      summary: Count the todos of a user.
      parameters:
        - name: username
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: OK
"""


def rpc(method: str, params: dict[str, Any] | None = None, id: int | None = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
    if id is not None:
        body["id"] = id
    return body


def tool_names(server: LiveServer) -> list[str]:
    answer = httpx.post(f"{server.url}/mcp", json=rpc("tools/list")).json()
    return [tool["name"] for tool in answer["result"]["tools"]]


@pytest.mark.parametrize(
    ("asgi_server", "mode"),
    [("hypercorn", "legacy"), ("hypercorn", "2026-07-28"), ("uvicorn", "2026-07-28")],
)
def test_official_client_lists_calls_and_gets_error_results(
    live_server: Callable[..., LiveServer], asgi_server: str, mode: str
) -> None:
    server = live_server({"PLUGIN_SERVER": asgi_server})

    async def scenario() -> None:
        async with Client(f"{server.url}/mcp", mode=mode) as client:
            listed = await client.list_tools()
            assert [tool.name for tool in listed.tools] == [
                "getTodos",
                "addTodo",
                "deleteTodo",
                "deleteTodoById",
            ]
            added = await client.call_tool("addTodo", {"username": "ann", "todo": "milk"})
            assert not added.is_error and added.structured_content is not None
            assert added.structured_content["todo"] == "milk"
            got = await client.call_tool("getTodos", {"username": "ann"})
            assert got.structured_content is not None
            assert got.structured_content["todos"] == ["milk"]
            failed = await client.call_tool("deleteTodo", {"username": "ann", "todo_idx": 5})
            assert failed.is_error
            assert json.loads(failed.content[0].text)["error"] == "not_found"  # type: ignore[union-attr]

    asyncio.run(scenario())
    assert httpx.get(f"{server.url}/todos/ann").json()["todos"] == ["milk"]


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_legacy_versions_over_raw_http(server: LiveServer, version: str) -> None:
    with httpx.Client(base_url=server.url) as http:
        init = http.post(
            "/mcp",
            json=rpc("initialize", {"protocolVersion": version, "capabilities": {}}),
            headers={"Accept": "application/json, text/event-stream"},
        )
        assert init.status_code == 200
        assert init.json()["result"]["protocolVersion"] == version
        headers = {"MCP-Protocol-Version": version}
        assert (
            http.post(
                "/mcp", json=rpc("notifications/initialized", id=None), headers=headers
            ).status_code
            == 202
        )
        call = rpc(
            "tools/call", {"name": "addTodo", "arguments": {"username": "cy", "todo": version}}
        )
        result = http.post("/mcp", json=call, headers=headers).json()["result"]
        assert result["structuredContent"]["todo"] == version


def test_stateless_version_over_raw_http(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover"}
        found = http.post("/mcp", json=rpc("server/discover", {"_meta": META}), headers=headers)
        assert found.status_code == 200
        assert "2026-07-28" in found.json()["result"]["supportedVersions"]
        call = {"name": "addTodo", "arguments": {"username": "di", "todo": "x"}, "_meta": META}
        headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"}
        mismatched = http.post(
            "/mcp", json=rpc("tools/call", call), headers={**headers, "Mcp-Name": "getTodos"}
        )
        assert mismatched.status_code == 400 and mismatched.json()["error"]["code"] == -32020
        assert http.get("/todos/di").json()["todos"] == []
        done = http.post(
            "/mcp", json=rpc("tools/call", call), headers={**headers, "Mcp-Name": "addTodo"}
        )
        assert done.json()["result"]["structuredContent"]["todo"] == "x"


def test_live_edit_shows_new_tools_and_a_broken_edit_keeps_them(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    server = live_server({"PLUGIN_ROOT": str(plugin_root)})
    assert "countTodos" not in tool_names(server)
    spec = plugin_root / "openapi.yaml"
    original = spec.read_text()
    spec.write_text(original.replace("\ncomponents:", NEW_OPERATION + "components:", 1))
    assert tool_names(server)[-1] == "countTodos"
    spec.write_text(original + "\n  broken: [\n")
    assert tool_names(server)[-1] == "countTodos"


def test_official_client_lists_and_reads_the_widget_and_sees_an_edit_at_the_next_read(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    server = live_server({"PLUGIN_ROOT": str(plugin_root)})
    widget = plugin_root / "static" / "widgets" / "todos.html"
    uri = "ui://widget/static/widgets/todos.html"

    async def scenario(mode: str, title: str) -> None:
        async with Client(f"{server.url}/mcp", mode=mode) as client:
            assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
            capabilities = client.server_capabilities
            assert capabilities.resources is not None
            assert capabilities.extensions == {
                "io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}
            }
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            meta = tools["getTodos"].meta or {}
            assert meta["ui"] == {"resourceUri": uri} and meta["openai/outputTemplate"] == uri
            (listed,) = (await client.list_resources()).resources
            assert (listed.uri, listed.mime_type) == (uri, "text/html;profile=mcp-app")
            (content,) = (await client.read_resource(uri)).contents
            assert content.mime_type == "text/html;profile=mcp-app"
            assert f"<title>{title}</title>" in content.text  # type: ignore[union-attr]
            assert (content.meta or {})["ui"]["csp"]["connectDomains"] == []
            edited = widget.read_text().replace(f"<title>{title}</title>", f"<title>{mode}</title>")
            widget.write_text(edited)
            stamp = time.time() + 2  # a save a moment later, even on a coarse clock
            os.utime(widget, (stamp, stamp))
            (content,) = (await client.read_resource(uri)).contents
            assert f"<title>{mode}</title>" in content.text  # type: ignore[union-attr]

    asyncio.run(scenario("legacy", "Todos"))
    asyncio.run(scenario("auto", "legacy"))  # server/discover, then 2026-07-28


def test_users_never_see_each_others_todos(server: LiveServer) -> None:
    async def scenario() -> None:
        async with Client(f"{server.url}/mcp", mode="legacy") as client:
            await client.call_tool("addTodo", {"username": "ann", "todo": "ann's secret"})
            await client.call_tool("addTodo", {"username": "bob", "todo": "bob's secret"})
            ann = await client.call_tool("getTodos", {"username": "ann"})
            bob = await client.call_tool("getTodos", {"username": "bob"})
            assert ann.structured_content is not None and bob.structured_content is not None
            assert ann.structured_content["todos"] == ["ann's secret"]
            assert bob.structured_content["todos"] == ["bob's secret"]
            bob_id = bob.structured_content["items"][0]["id"]
            stolen = await client.call_tool(
                "deleteTodoById", {"username": "ann", "todo_id": bob_id}
            )
            assert stolen.is_error

    asyncio.run(scenario())
    assert httpx.get(f"{server.url}/todos/bob").json()["todos"] == ["bob's secret"]


async def keyed_client_calls(
    url: str, key: str, calls: list[tuple[str, dict[str, Any]]]
) -> list[Any]:
    """Results of ``calls`` made by the official client carrying ``key``."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http:
        transport = streamable_http_client(f"{url}/mcp", http_client=http)
        async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
            return [await client.call_tool(name, arguments) for name, arguments in calls]


def test_user_http_users_never_see_each_others_todos(
    tmp_path: Path, live_server: Callable[..., LiveServer]
) -> None:
    database = tmp_path / "live.sqlite3"
    keys = {}
    for user in ("ann", "bob"):
        cli_ok(database, "users", "add", user, stdin=PASSWORD + "\n")
        keys[user] = cli_ok(database, "keys", "create", user)["key"]
    server = live_server({"PLUGIN_AUTH": "user_http"})
    add = ("addTodo", {"username": "me", "todo": "bob's secret"})
    (bob_added,) = asyncio.run(keyed_client_calls(server.url, keys["bob"], [add]))
    bob_id = bob_added.structured_content["id"]
    ann_calls = [
        ("addTodo", {"username": "me", "todo": "ann's"}),
        ("getTodos", {"username": "me"}),
        ("getTodos", {"username": "bob"}),
        ("deleteTodoById", {"username": "bob", "todo_id": bob_id}),
        ("deleteTodoById", {"username": "me", "todo_id": bob_id}),
    ]
    _, mine, bobs, steal, steal_as_me = asyncio.run(
        keyed_client_calls(server.url, keys["ann"], ann_calls)
    )
    assert mine.structured_content["todos"] == ["ann's"]
    assert bobs.is_error and steal.is_error and steal_as_me.is_error
    bob_sees = httpx.get(
        f"{server.url}/todos/me", headers={"Authorization": f"Bearer {keys['bob']}"}
    )
    assert bob_sees.json()["todos"] == ["bob's secret"]
    assert httpx.post(f"{server.url}/mcp", json=rpc("ping")).status_code == 401


def test_service_http_mcp_takes_the_api_key(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"PLUGIN_AUTH": "service_http", "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN})
    refused = httpx.post(f"{server.url}/mcp", json=rpc("ping"))
    assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers

    add = ("addTodo", {"username": "ann", "todo": "key"})
    (added,) = asyncio.run(keyed_client_calls(server.url, SERVICE_TOKEN, [add]))
    assert not added.is_error
    stored = httpx.get(
        f"{server.url}/todos/ann", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    ).json()
    assert stored["todos"] == ["key"]


def test_bad_input_changes_nothing_and_never_500s(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        http.post(
            "/mcp",
            json=rpc(
                "tools/call", {"name": "addTodo", "arguments": {"username": "ann", "todo": "kept"}}
            ),
        )
        before = http.get("/todos/ann").json()
        json_headers = {"Content-Type": "application/json"}
        cases: list[tuple[bytes, dict[str, str], int]] = [
            (b"{", json_headers, 400),
            (b'[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', json_headers, 400),
            (b'{"jsonrpc": "2.0", "id": {}, "method": "ping"}', json_headers, 400),
            (json.dumps(rpc("tools/call", {"name": "dropTables"})).encode(), json_headers, 200),
            (
                json.dumps(
                    rpc(
                        "tools/call",
                        {"name": "deleteTodo", "arguments": {"username": "ann", "todo_idx": "0"}},
                    )
                ).encode(),
                json_headers,
                200,
            ),
            (
                json.dumps(
                    rpc(
                        "tools/call",
                        {"name": "addTodo", "arguments": {"username": "ann", "todo": "x" * 80_000}},
                    )
                ).encode(),
                json_headers,
                413,
            ),
            (
                json.dumps(rpc("tools/list", {"_meta": META})).encode(),
                {**json_headers, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"},
                400,
            ),
            (
                json.dumps(rpc("ping")).encode(),
                {**json_headers, "Origin": "https://evil.example"},
                403,
            ),
        ]
        # A lone surrogate, escaped and as raw bytes, in the id, the method and an argument.
        add = json.dumps(rpc("tools/call", {"name": "addTodo", "arguments": {"username": "ann"}}))
        for body in (
            b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "ping"}',
            b'{"jsonrpc": "2.0", "id": 1, "method": "\xed\xa0\x80"}',
            add.replace('"ann"', '"ann", "todo": "\\udfff"').encode(),
        ):
            response = http.post("/mcp", content=body, headers=json_headers)
            assert response.status_code == 400, response.text
            assert response.json()["id"] is None
            assert response.json()["error"]["code"] == -32700
        for body, headers, status in cases:
            response = http.post("/mcp", content=body, headers=headers)
            assert response.status_code == status, (body[:80], response.text)
            assert "jsonrpc" in response.json()
        assert http.get("/todos/ann").json() == before
    log = server.log_once("POST /mcp 403 ")  # the last request: every line before it is there
    assert log.count("POST /mcp 400 ") == 7
    assert "POST /mcp 0 " not in log and "POST /mcp 500 " not in log
    assert "Traceback" not in log


def test_official_client_mirrors_x_mcp_header_parameters(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    mirror_username(plugin_root)
    server = live_server({"PLUGIN_ROOT": str(plugin_root)})

    async def scenario() -> None:
        async with Client(f"{server.url}/mcp", mode="2026-07-28") as client:
            await client.list_tools()
            added = await client.call_tool("addTodo", {"username": "ann", "todo": "routed"})
            assert not added.is_error

    asyncio.run(scenario())
    assert httpx.get(f"{server.url}/todos/ann").json()["todos"] == ["routed"]
