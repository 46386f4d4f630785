"""The console's page and API through the app: what it shows, to whom, and when it is off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.recent_calls import RecentCalls
from tests.conftest import SERVICE_TOKEN


async def test_page_and_assets_are_served(client: QuartClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert "/console/static/console.js" in await page.get_data(as_text=True)
    script = await client.get("/console/static/console.js")
    assert script.status_code == 200 and script.content_type.startswith("text/javascript")
    missing = await client.get("/console/static/secrets.py")
    assert missing.status_code == 404 and (await missing.get_json())["error"] == "not_found"


async def test_overview_shows_the_plugin_its_operations_and_findings(client: QuartClient) -> None:
    overview = await (await client.get("/console/api/overview")).get_json()
    assert overview["install_url"] == "http://localhost"
    assert overview["manifest"]["name_for_human"] == "TODO List"
    assert overview["spec_yaml"].startswith("openapi: 3.0.3")
    operations = {operation["id"]: operation for operation in overview["operations"]}
    assert set(operations) == {"getTodos", "addTodo", "deleteTodo", "deleteTodoById"}
    assert [p["name"] for p in operations["getTodos"]["parameters"]] == [
        "username",
        "limit",
        "offset",
    ]
    assert operations["addTodo"]["body"] == {
        "media_type": "application/json",
        "example": {"todo": ""},
    }
    assert overview["lint"]["ok"] is True and overview["problems"] == []


async def test_overview_lists_the_mcp_tools_with_arguments_to_start_from(
    client: QuartClient,
) -> None:
    mcp = (await (await client.get("/console/api/overview")).get_json())["mcp"]
    assert mcp["path"] == "/mcp" and mcp["protocol_version"] == "2025-11-25"
    tools = {tool["name"]: tool for tool in mcp["tools"]}
    assert list(tools) == ["getTodos", "addTodo", "deleteTodo", "deleteTodoById"]
    add = tools["addTodo"]
    assert add["description"] == "Add a todo to the list."
    assert add["inputSchema"]["required"] == ["username", "todo"]
    assert add["annotations"]["readOnlyHint"] is False
    assert add["example"] == {"username": "", "todo": ""}
    assert tools["getTodos"]["example"] == {"username": "", "limit": 100, "offset": 0}
    assert tools["deleteTodoById"]["annotations"]["destructiveHint"] is True


async def test_a_tool_call_as_the_console_sends_it_stores_the_todo(client: QuartClient) -> None:
    """The page's request: its headers, the version the overview names, no session."""
    mcp = (await (await client.get("/console/api/overview")).get_json())["mcp"]
    response = await client.post(
        mcp["path"],
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "addTodo", "arguments": {"username": "ann", "todo": "milk"}},
        },
        headers={
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": mcp["protocol_version"],
            "Origin": "http://localhost",
        },
    )
    result = (await response.get_json())["result"]
    assert result["isError"] is False and result["structuredContent"]["todo"] == "milk"
    stored = await (await client.get("/todos/ann")).get_json()
    assert stored["todos"] == ["milk"]


async def test_mcp_problems_are_shown_with_the_other_findings(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("      summary: Add a todo to the list.\n", ""))
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        lint = (await (await app.test_client().get("/console/api/overview")).get_json())["lint"]
    assert lint["ok"] is True and lint["warnings"] == 1
    [finding] = lint["findings"]
    assert finding["path"] == "openapi: paths./todos/{username}.post"
    assert finding["message"] == "MCP: no summary or description for the model"


async def test_mcp_off_lists_no_tools(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(mcp=False))
    async with app.test_app():
        overview = await (await app.test_client().get("/console/api/overview")).get_json()
        assert overview["mcp"] is None


async def test_recent_calls_record_api_calls_but_not_the_console(client: QuartClient) -> None:
    await client.post("/todos/ann", json={"todo": "milk"})
    await client.get("/todos/ann?secret=never-kept")
    await client.get("/console/api/overview")
    calls = await (await client.get("/console/api/calls")).get_json()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("GET", "/todos/ann", 200),
        ("POST", "/todos/ann", 200),
    ]
    assert all(c["ms"] >= 0 and c["at"] > 0 for c in calls)


def test_the_ring_is_bounded() -> None:
    ring = RecentCalls(size=3)
    for index in range(5):
        ring.record("GET", f"/todos/{index}", 200, 1.0)
    assert [call["path"] for call in ring.as_json()] == ["/todos/4", "/todos/3", "/todos/2"]


async def test_service_http_shows_no_token_and_guards_recent_calls(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(auth="service_http", service_token=SERVICE_TOKEN))
    async with app.test_app():
        client = app.test_client()
        overview = await client.get("/console/api/overview")
        assert overview.status_code == 200
        assert SERVICE_TOKEN not in await overview.get_data(as_text=True)
        assert (await overview.get_json())["auth"] == "service_http"
        assert (await client.get("/console/api/calls")).status_code == 401
        allowed = await client.get(
            "/console/api/calls", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
        )
        assert allowed.status_code == 200


async def test_console_off(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(console=False))
    async with app.test_app():
        client = app.test_client()
        for path in ("/", "/console/api/overview", "/console/static/console.js"):
            response = await client.get(path)
            assert response.status_code == 404
            assert (await response.get_json())["error"] == "not_found"


async def test_an_untrusted_host_gets_a_clear_400(client: QuartClient) -> None:
    response = await client.get("/console/api/overview", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "PLUGIN_PUBLIC_URL" in (await response.get_json())["error_description"]
