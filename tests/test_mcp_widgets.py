"""UI widgets (MCP Apps, fast): ``x-mcp.widget`` read from the spec, the tool's link, the
``ui://`` resource through ``/mcp`` in both eras, live edits of the file and what goes wrong."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.mcp import build_tools

from .test_mcp_endpoint import META, MODERN, message, post
from .test_mcp_tools import operation, shipped_spec

URI = "ui://widget/static/widgets/todos.html"
MIME = "text/html;profile=mcp-app"
LEGACY = {"MCP-Protocol-Version": "2025-11-25"}


@pytest.fixture
async def client(plugin_root: Path, tmp_path: Path) -> AsyncIterator[QuartClient]:
    """The app on an editable copy of the plugin folder (SQLite only: no storage involved)."""
    settings = Settings(root=plugin_root, database=str(tmp_path / "db.sqlite3"), rate_limit="off")
    app = create_app(settings)
    async with app.test_app():
        yield app.test_client()


async def legacy(client: QuartClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    status, body = await post(client, message(method, params), LEGACY)
    assert status == 200, body
    answer: dict[str, Any] = body
    return answer


async def modern(client: QuartClient, method: str, params: dict[str, Any], name: str | None) -> Any:
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    return await post(client, message(method, {**params, "_meta": META}), headers)


async def read(client: QuartClient) -> dict[str, Any]:
    """The widget's ``resources/read`` content, which must be there."""
    body = await legacy(client, "resources/read", {"uri": URI})
    content: dict[str, Any] = body["result"]["contents"][0]
    return content


def edit(path: Path, data: bytes) -> None:
    """Write ``data`` with a modification time the file never had, as a later save would."""
    stamp = path.stat().st_mtime + 2 if path.exists() else None
    path.write_bytes(data)
    if stamp is not None:
        os.utime(path, (stamp, stamp))


def test_the_shipped_get_todos_links_its_widget_and_no_other_tool_does() -> None:
    built = build_tools(shipped_spec())
    assert built.issues == ()
    assert built.tools["getTodos"].definition["_meta"] == {
        "ui": {"resourceUri": URI},
        "openai/outputTemplate": URI,
        "openai/widgetAccessible": True,
    }
    assert [name for name, tool in built.tools.items() if "_meta" in tool.definition] == [
        "getTodos"
    ]
    (widget,) = built.widgets.values()
    assert widget.listing["mimeType"] == MIME and widget.listing["name"] == "todos"
    meta = widget.resource_meta
    assert meta["ui"] == {
        "csp": {"connectDomains": [], "resourceDomains": []},
        "prefersBorder": True,
    }
    assert meta["openai/widgetCSP"] == {"connect_domains": [], "resource_domains": []}
    assert meta["openai/widgetDescription"].startswith("The todo list")


def test_widget_options_become_the_resources_metadata() -> None:
    spec = shipped_spec()
    operation(spec, "/todos/{username}", "get")["x-mcp"] = {
        "widget": {
            "file": "static/widgets/todos.html",
            "csp": {
                "connectDomains": ["https://api.example.com", "wss://*.example.com:8443"],
                "frameDomains": ["https://www.youtube.com"],
            },
            "permissions": ["clipboardWrite"],
            "domain": "www-example-com.oaiusercontent.com",
            "prefersBorder": False,
        }
    }
    operation(spec, "/todos/{username}", "post")["x-mcp"] = {"widget": "static/widgets/todos.html"}
    built = build_tools(spec)
    assert built.issues == ()
    assert built.tools["addTodo"].definition["_meta"]["ui"]["resourceUri"] == URI
    meta = built.widgets[URI].resource_meta
    assert meta["ui"] == {
        "csp": {
            "connectDomains": ["https://api.example.com", "wss://*.example.com:8443"],
            "resourceDomains": [],
            "frameDomains": ["https://www.youtube.com"],
        },
        "prefersBorder": False,
        "permissions": {"clipboardWrite": {}},
        "domain": "www-example-com.oaiusercontent.com",
    }
    assert meta["openai/widgetCSP"]["frame_domains"] == ["https://www.youtube.com"]
    assert meta["openai/widgetDomain"] == "www-example-com.oaiusercontent.com"
    assert meta["openai/widgetPrefersBorder"] is False


@pytest.mark.parametrize(
    ("widget", "field", "severity", "linked"),
    [
        ("/etc/todos.html", "x-mcp.widget", "error", False),
        ("static/../../todos.html", "x-mcp.widget", "error", False),
        ("static\\widgets\\todos.html", "x-mcp.widget", "error", False),
        ("static/widgets/todos.js", "x-mcp.widget", "error", False),
        (42, "x-mcp.widget", "error", False),
        ({"description": "no file"}, "x-mcp.widget", "error", False),
        (
            {"file": "static/widgets/todos.html", "csp": {"connectDomains": ["https://a.test; x"]}},
            "x-mcp.widget.csp.connectDomains",
            "error",
            True,
        ),
        (
            {"file": "static/widgets/todos.html", "csp": {"scriptDomains": []}},
            "x-mcp.widget.csp.scriptDomains",
            "error",
            True,
        ),
        (
            {"file": "static/widgets/todos.html", "permissions": ["usb"]},
            "x-mcp.widget.permissions",
            "error",
            True,
        ),
        (
            {"file": "static/widgets/todos.html", "prefersBorder": "yes"},
            "x-mcp.widget.prefersBorder",
            "error",
            True,
        ),
        ({"file": "static/widgets/todos.html", "size": 3}, "x-mcp.widget.size", "warning", True),
    ],
)
def test_what_a_widget_cannot_use_is_reported_where_it_is(
    widget: Any, field: str, severity: str, linked: bool
) -> None:
    spec = shipped_spec()
    operation(spec, "/todos/{username}", "get")["x-mcp"] = {"widget": widget}
    built = build_tools(spec)
    ((problem),) = built.issues
    assert (problem.field, problem.severity, problem.method) == (field, severity, "get")
    assert problem.fix
    assert ("_meta" in built.tools["getTodos"].definition) is linked
    assert bool(built.widgets) is linked
    if linked:
        csp = built.widgets[URI].ui["csp"]
        assert all(";" not in domain for domains in csp.values() for domain in domains)


def test_one_file_named_with_other_options_twice_serves_the_first() -> None:
    spec = shipped_spec()
    first = {"file": "static/widgets/todos.html", "description": "First."}
    operation(spec, "/todos/{username}", "get")["x-mcp"] = {"widget": first}
    operation(spec, "/todos/{username}", "post")["x-mcp"] = {
        "widget": {**first, "description": "Second."}
    }
    built = build_tools(spec)
    assert built.widgets[URI].description == "First."
    ((problem),) = built.issues
    assert problem.method == "post" and "GET /todos/{username}" in problem.message


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_initialize_declares_resources_and_the_apps_extension(
    client: QuartClient, version: str
) -> None:
    body = await legacy(client, "initialize", {"protocolVersion": version, "capabilities": {}})
    capabilities = body["result"]["capabilities"]
    assert capabilities["resources"] == {"listChanged": False}
    assert capabilities["extensions"] == {"io.modelcontextprotocol/ui": {"mimeTypes": [MIME]}}


async def test_the_widget_is_listed_and_read_in_the_legacy_era(
    client: QuartClient, plugin_root: Path
) -> None:
    listed = (await legacy(client, "resources/list", {}))["result"]["resources"]
    assert [(entry["uri"], entry["mimeType"]) for entry in listed] == [(URI, MIME)]
    assert (await legacy(client, "resources/templates/list", {}))["result"] == {
        "resourceTemplates": []
    }
    content = await read(client)
    assert content["mimeType"] == MIME and content["uri"] == URI
    assert content["text"] == (plugin_root / "static/widgets/todos.html").read_text()
    assert content["_meta"] == listed[0]["_meta"]
    assert content["_meta"]["ui"]["csp"] == {"connectDomains": [], "resourceDomains": []}


async def test_the_widget_in_the_modern_era_mirrors_its_uri_in_mcp_name(
    client: QuartClient,
) -> None:
    status, body = await modern(client, "server/discover", {}, None)
    assert status == 200 and "resources" in body["result"]["capabilities"]
    assert "io.modelcontextprotocol/ui" in body["result"]["capabilities"]["extensions"]
    status, body = await modern(client, "resources/list", {}, None)
    assert status == 200 and body["result"]["resources"][0]["uri"] == URI
    assert (body["result"]["ttlMs"], body["result"]["cacheScope"]) == (0, "public")
    status, body = await modern(client, "resources/read", {"uri": URI}, URI)
    assert status == 200 and body["result"]["contents"][0]["text"].startswith("<!doctype html>")
    assert body["result"]["resultType"] == "complete" and body["result"]["ttlMs"] == 0
    status, body = await modern(client, "resources/read", {"uri": URI}, "ui://widget/other.html")
    assert (status, body["error"]["code"]) == (400, -32020)
    status, body = await modern(client, "resources/read", {"uri": URI}, None)
    assert (status, body["error"]["code"]) == (400, -32020)


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("resources/read", {"uri": "test://nonexistent"}),
        ("resources/read", {"uri": "ui://widget/static/logo.png"}),
        ("resources/read", {}),
        ("resources/list", {"cursor": "next"}),
    ],
)
async def test_unknown_resources_and_bad_params_are_invalid_params(
    client: QuartClient, method: str, params: dict[str, Any]
) -> None:
    status, body = await post(client, message(method, params), LEGACY)
    assert status == 200 and body["error"]["code"] == -32602
    if "uri" in params:
        assert body["error"] == {
            "code": -32602,
            "message": "Resource not found",
            "data": {"uri": params["uri"]},
        }
    status, body = await modern(client, method, params, params.get("uri"))
    assert status == 400 and body["error"]["code"] == -32602


async def test_an_edit_shows_at_the_next_read_and_a_broken_one_keeps_the_last_good(
    client: QuartClient, plugin_root: Path
) -> None:
    widget = plugin_root / "static/widgets/todos.html"
    original = await read(client)
    edit(widget, widget.read_bytes().replace(b"<title>Todos</title>", b"<title>Edited</title>"))
    assert "<title>Edited</title>" in (await read(client))["text"]
    edit(widget, b"\xff\xfe not UTF-8")
    assert "<title>Edited</title>" in (await read(client))["text"]
    widget.unlink()
    assert "<title>Edited</title>" in (await read(client))["text"]
    edit(widget, original["text"].encode())
    assert (await read(client))["text"] == original["text"]


async def test_a_widget_file_that_never_was_good_is_an_error_naming_it(
    client: QuartClient, plugin_root: Path, tmp_path: Path
) -> None:
    widget = plugin_root / "static/widgets/todos.html"
    outside = tmp_path / "secret.html"
    outside.write_text("<p>not the plugin's</p>")
    widget.unlink()
    widget.symlink_to(outside)
    status, body = await post(client, message("resources/read", {"uri": URI}), LEGACY)
    assert status == 200 and body["error"]["code"] == -32603
    assert "static/widgets/todos.html" in body["error"]["message"]
    assert "outside the plugin folder" in body["error"]["message"]
    assert "not the plugin's" not in str(body)
    widget.unlink()
    status, body = await modern(client, "resources/read", {"uri": URI}, URI)
    assert status == 503 and "No such file" in body["error"]["message"]
    assert (await legacy(client, "resources/list", {}))["result"]["resources"][0]["uri"] == URI
