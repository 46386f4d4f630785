"""``/mcp`` through the app (fast): both protocol eras, errors, origins, auth, nothing stored
changed by a bad request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from quart.testing import QuartClient

from plugin import Settings, create_app

from .conftest import SERVICE_TOKEN
from .mcp_specs import mirror_username

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
}


def message(
    method: str, params: dict[str, Any] | None = None, id: int | None = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    if id is not None:
        body["id"] = id
    return body


async def post(
    client: QuartClient, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    response = await client.post("/mcp", json=body, headers=headers or {})
    data = await response.get_data()
    return response.status_code, (await response.get_json()) if data else None


async def modern(
    client: QuartClient, method: str, params: dict[str, Any] | None = None, **headers: str
) -> tuple[int, Any]:
    sent = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if params and "name" in params:
        sent["Mcp-Name"] = params["name"]
    sent.update({key.replace("_", "-"): value for key, value in headers.items()})
    return await post(client, message(method, {**(params or {}), "_meta": META}), sent)


async def call(client: QuartClient, name: str, arguments: Any) -> dict[str, Any]:
    status, body = await post(
        client,
        message("tools/call", {"name": name, "arguments": arguments}),
        {"MCP-Protocol-Version": "2025-11-25"},
    )
    assert status == 200
    result: dict[str, Any] = body["result"]
    return result


async def todos(client: QuartClient, user: str) -> list[str]:
    listed: list[str] = (await (await client.get(f"/todos/{user}")).get_json())["todos"]
    return listed


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_initialize_negotiates_the_clients_version(client: QuartClient, version: str) -> None:
    status, body = await post(
        client,
        message(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        ),
    )
    assert status == 200
    assert body["result"]["protocolVersion"] == version
    assert body["result"]["capabilities"]["tools"] == {"listChanged": False}
    assert body["result"]["serverInfo"]["name"] == "todo"


async def test_initialize_with_an_unknown_version_offers_the_newest(client: QuartClient) -> None:
    status, body = await post(client, message("initialize", {"protocolVersion": "1999-01-01"}))
    assert status == 200 and body["result"]["protocolVersion"] == "2025-11-25"


async def test_notifications_are_accepted_with_202(client: QuartClient) -> None:
    status, body = await post(client, message("notifications/initialized", id=None))
    assert status == 202 and body is None


async def test_ping_and_unknown_method_in_the_legacy_era(client: QuartClient) -> None:
    assert await post(client, message("ping")) == (200, {"jsonrpc": "2.0", "id": 1, "result": {}})
    status, body = await post(client, message("prompts/list"))
    assert status == 200 and body["error"]["code"] == -32601


async def test_tools_call_adds_and_lists(client: QuartClient) -> None:
    added = await call(client, "addTodo", {"username": "ann", "todo": "milk"})
    assert added["isError"] is False
    assert added["structuredContent"]["todo"] == "milk"
    listed = await call(client, "getTodos", {"username": "ann", "limit": 10})
    assert listed["structuredContent"]["todos"] == ["milk"]
    # The text is the API's own JSON answer, for clients that read only text content.
    assert json.loads(listed["content"][0]["text"]) == listed["structuredContent"]
    assert await todos(client, "ann") == ["milk"]


async def test_api_errors_become_error_results_with_the_envelope(client: QuartClient) -> None:
    result = await call(client, "deleteTodo", {"username": "ann", "todo_idx": 3})
    assert result["isError"] is True
    assert '"error": "not_found"' in result["content"][0]["text"]
    assert "structuredContent" not in result


@pytest.mark.parametrize(
    "arguments",
    [
        {"username": "ann", "todo": 5},
        {"username": "ann"},
        {"username": "../x", "todo": "milk"},
        {"username": "ann", "todo": "x" * 2001},
    ],
)
async def test_bad_arguments_are_error_results_and_store_nothing(
    client: QuartClient, arguments: dict[str, Any]
) -> None:
    result = await call(client, "addTodo", arguments)
    assert result["isError"] is True
    assert '"error": "invalid_request"' in result["content"][0]["text"]
    assert await todos(client, "ann") == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"[]", -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}', -32600),
        (b'{"jsonrpc": "2.0", "id": null, "method": "ping"}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": 7}', -32600),
        (b'"ping"', -32600),
        (b"[" * 50_000, -32700),  # nesting deeper than the parser's recursion limit
    ],
)
async def test_malformed_messages_are_400_with_the_json_rpc_error(
    client: QuartClient, body: bytes, code: int
) -> None:
    response = await client.post("/mcp", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == code


@pytest.mark.parametrize(
    "params",
    [
        {"name": "nope", "arguments": {}},
        {"name": 5},
        {"name": "addTodo", "arguments": ["ann"]},
    ],
)
async def test_unknown_tool_and_bad_params_are_invalid_params(
    client: QuartClient, params: dict[str, Any]
) -> None:
    status, body = await post(client, message("tools/call", params))
    assert status == 200 and body["error"]["code"] == -32602 and body["id"] == 1


async def test_oversized_body_is_413_and_stores_nothing(client: QuartClient) -> None:
    big = message(
        "tools/call", {"name": "addTodo", "arguments": {"username": "ann", "todo": "x" * 70_000}}
    )
    status, body = await post(client, big)
    assert status == 413 and body["error"]["code"] == -32600
    assert await todos(client, "ann") == []


async def test_legacy_version_header_must_be_served(client: QuartClient) -> None:
    status, body = await post(client, message("tools/list"), {"MCP-Protocol-Version": "2025-03-26"})
    assert status == 400 and body["error"]["code"] == -32022


async def test_server_discover_in_the_modern_era(client: QuartClient) -> None:
    status, body = await modern(client, "server/discover")
    assert status == 200
    result = body["result"]
    assert result["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18"]
    assert result["resultType"] == "complete" and result["ttlMs"] == 0
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "todo"


async def test_modern_tools_call(client: QuartClient) -> None:
    status, body = await modern(
        client, "tools/call", {"name": "addTodo", "arguments": {"username": "bo", "todo": "tea"}}
    )
    assert status == 200 and body["result"]["structuredContent"]["todo"] == "tea"
    assert body["result"]["resultType"] == "complete"


@pytest.mark.parametrize(
    ("method", "params", "headers", "status", "code"),
    [
        ("tools/list", {}, {"Mcp_Method": "prompts/list"}, 400, -32020),
        ("tools/call", {"name": "addTodo", "arguments": {}}, {"Mcp_Name": "getTodos"}, 400, -32020),
        ("tools/list", {}, {"MCP_Protocol_Version": "2025-11-25"}, 400, -32020),
        ("ping", {}, {}, 404, -32601),
        ("initialize", {}, {}, 404, -32601),
        ("tools/call", {"name": "nope", "arguments": {}}, {}, 400, -32602),
    ],
)
async def test_modern_errors(
    client: QuartClient,
    method: str,
    params: dict[str, Any],
    headers: dict[str, str],
    status: int,
    code: int,
) -> None:
    got_status, body = await modern(client, method, params, **headers)
    assert (got_status, body["error"]["code"], body["id"]) == (status, code, 1)


async def test_modern_unsupported_version_and_missing_meta(client: QuartClient) -> None:
    meta = {**META, "io.modelcontextprotocol/protocolVersion": "2030-01-01"}
    headers = {"MCP-Protocol-Version": "2030-01-01", "Mcp-Method": "tools/list"}
    status, body = await post(client, message("tools/list", {"_meta": meta}), headers)
    assert status == 400 and body["error"]["code"] == -32022
    assert body["error"]["data"]["requested"] == "2030-01-01"
    headers["MCP-Protocol-Version"] = MODERN
    status, body = await post(client, message("tools/list", {}), headers)
    assert status == 400 and body["error"]["code"] == -32602


async def test_mcp_name_header_may_be_base64_and_padded(client: QuartClient) -> None:
    status, body = await modern(
        client,
        "tools/call",
        {"name": "getTodos", "arguments": {"username": "ann"}},
        Mcp_Name=" =?base64?Z2V0VG9kb3M=?= ",
    )
    assert status == 200 and body["result"]["isError"] is False


async def test_get_is_405(client: QuartClient) -> None:
    response = await client.get("/mcp")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://evil.example", 403),
        ("http://localhost:3000", 200),
        ("http://127.0.0.1:8080", 200),
        ("https://chatgpt.com", 200),
    ],
)
async def test_browser_origins(client: QuartClient, origin: str, status: int) -> None:
    got, _ = await post(client, message("ping"), {"Origin": origin})
    assert got == status


async def test_foreign_host_is_403(client: QuartClient) -> None:
    got, body = await post(client, message("ping"), {"Host": "evil.example"})
    assert got == 403 and "error" in body


async def test_wrong_content_type_is_415(client: QuartClient) -> None:
    response = await client.post("/mcp", data=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


async def test_mcp_off_leaves_no_endpoint(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(mcp=False))
    async with app.test_app():
        response = await app.test_client().post("/mcp", json=message("ping"))
        assert response.status_code == 404


async def test_service_http_needs_the_api_key(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(auth="service_http", service_token=SERVICE_TOKEN))
    async with app.test_app():
        client = app.test_client()
        status, body = await post(client, message("ping"))
        assert status == 401 and body["error"] == "unauthorized"
        status, _ = await post(
            client, message("ping"), {"Authorization": "Bearer wrong-token-123456"}
        )
        assert status == 401
        key = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        assert (await post(client, message("ping"), key))[0] == 200
        status, body = await post(
            client,
            message(
                "tools/call", {"name": "addTodo", "arguments": {"username": "ann", "todo": "a"}}
            ),
            key,
        )
        assert body["result"]["isError"] is False


async def test_mcp_param_headers_must_match_the_arguments(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    mirror_username(plugin_root)
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        params = {"name": "addTodo", "arguments": {"username": "ann", "todo": "x"}}
        for header, status in [
            ({}, 400),
            ({"Mcp_Param_User": "bob"}, 400),
            ({"Mcp_Param_User": "=?base64?YW5u?="}, 200),
            ({"Mcp_Param_User": "ann"}, 200),
        ]:
            got, body = await modern(client, "tools/call", params, **header)
            assert got == status, body
            if status == 400:
                assert body["error"]["code"] == -32020
        assert await todos(client, "ann") == ["x", "x"]
        # The legacy era has no such headers.
        assert (await call(client, "addTodo", {"username": "ann", "todo": "y"}))["isError"] is False


async def test_a_path_argument_cannot_reach_another_route(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace('pattern: "^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$"', ""))
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        added = await call(client, "addTodo", {"username": "ann", "todo": "keep"})
        todo_id = added["structuredContent"]["id"]
        result = await call(client, "deleteTodo", {"username": f"ann/{todo_id}", "todo_idx": 0})
        assert (
            result["isError"] is True
            and "one non-empty path segment" in result["content"][0]["text"]
        )
        assert await todos(client, "ann") == ["keep"]


async def test_a_key_in_the_custom_header_reaches_the_api_too(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        auth="service_http", service_token=SERVICE_TOKEN, api_key_header="X-Api-Key"
    )
    app = create_app(settings)
    async with app.test_app():
        params = {"name": "addTodo", "arguments": {"username": "ann", "todo": "a"}}
        status, body = await post(
            app.test_client(), message("tools/call", params), {"X-Api-Key": SERVICE_TOKEN}
        )
        assert status == 200 and body["result"]["isError"] is False
