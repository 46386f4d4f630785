"""The console's page and API through the app: what it shows, to whom, and when it is off."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from quart import Response
from quart.testing import QuartClient

from plugin import Settings, create_app, load_settings
from plugin.config import PROJECT_ROOT, ConfigError
from plugin.recent_calls import RecentCalls
from tests.conftest import SERVICE_TOKEN, MakeClient

ADMIN_TOKEN = "operator-token-0123456789"
LOOPBACK = {"client": ("127.0.0.1", 50000)}
LOOPBACK_PEERS = ("127.0.0.1", "127.0.0.53", "::1")
REMOTE_PEERS = ("203.0.113.9", "10.0.0.2", "2001:db8::1")
UPSTREAM = "http://127.0.0.1:9"  # never reached: the console is not forwarded


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


@pytest.mark.parametrize(
    ("name", "break_it", "reason"),
    [
        (
            "openapi.yaml",
            lambda text: text.replace("version: 1.0.0", "version: [1.0.0"),
            "6: invalid",
        ),
        (
            "openapi.yaml",
            lambda text: text.replace("openapi: 3.0.3", "openapi: 3.1"),
            "1: openapi is 3.1,",
        ),
        ("openapi.yaml", lambda text: text.replace("3.0.3", "'9.9'"), "1: openapi is '9.9', not"),
        (
            "openapi.yaml",
            lambda text: text.replace("required: true", "required: yes please", 1),
            "14: invalid",
        ),
        ("openapi.yaml", lambda text: "", ": "),
        ("manifest.json", lambda text: text[:-2], "invalid JSON"),
    ],
)
async def test_a_file_broken_since_start_up_says_why_it_is_not_served(
    make_settings: Callable[..., Settings],
    plugin_root: Path,
    name: str,
    break_it: Callable[[str], str],
    reason: str,
) -> None:
    path = plugin_root / name
    good = path.read_text()
    path.write_text(break_it(good))
    if name == "manifest.json":  # its name_for_model names the migrations: none, or no start
        shutil.rmtree(plugin_root / "migrations")
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        broken = await (await client.get("/console/api/overview")).get_json()
        path.write_text(good + "\n")  # fixed: a new size, so a new version whatever the clock
        fixed = await (await client.get("/console/api/overview")).get_json()
    error, other = ("spec_error", "manifest_error")[:: 1 if name == "openapi.yaml" else -1]
    assert broken[error].startswith(f"{name}:") and reason in broken[error]
    assert broken[other] is None and broken["problems"] == [broken[error]]
    if name == "openapi.yaml":
        assert broken["operations"] == [] and broken["mcp"]["tools"] == []
    assert fixed["spec_error"] is None and fixed["manifest_error"] is None
    assert len(fixed["operations"]) == 4 and fixed["problems"] == []


async def test_mcp_off_lists_no_tools(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(mcp=False))
    async with app.test_app():
        overview = await (await app.test_client().get("/console/api/overview")).get_json()
        assert overview["mcp"] is None


async def test_recent_calls_record_api_calls_but_not_the_console(client: QuartClient) -> None:
    await client.post("/todos/ann", json={"todo": "milk"})
    await client.get("/todos/ann?secret=never-kept")
    await client.get("/console/api/overview")
    calls = await (await client.get("/console/api/calls", scope_base=LOOPBACK)).get_json()
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


async def test_service_http_shows_no_token(make_client: MakeClient) -> None:
    client = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    overview = await client.get("/console/api/overview")
    assert overview.status_code == 200
    assert SERVICE_TOKEN not in await overview.get_data(as_text=True)
    assert (await overview.get_json())["auth"] == "service_http"


async def read_calls(
    client: QuartClient, peer: str, authorization: str | None = None, **headers: str
) -> Response:
    if authorization is not None:
        headers["Authorization"] = authorization
    return await client.get(
        "/console/api/calls", headers=headers, scope_base={"client": (peer, 50000)}
    )


async def assert_refused(response: Response, invalid_token: bool) -> None:
    """A 401 in the envelope that tells the operator what to do."""
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="console"')
    assert ('error="invalid_token"' in challenge) is invalid_token
    body = await response.get_json()
    assert body["error"] == "unauthorized"
    assert "set PLUGIN_ADMIN_TOKEN" in body["error_description"]
    assert "Authorization: Bearer <token>" in body["error_description"]


async def assert_only_the_admin_token_opens(client: QuartClient, peer: str, **headers: str) -> None:
    await assert_refused(await read_calls(client, peer, **headers), invalid_token=False)
    allowed = await read_calls(client, peer, f"Bearer {ADMIN_TOKEN}", **headers)
    assert allowed.status_code == 200 and await allowed.get_json() == []


@pytest.mark.parametrize(
    "mode",
    [
        {},
        {"auth": "service_http", "service_token": SERVICE_TOKEN},
        {"upstream": UPSTREAM},
        {"upstream": UPSTREAM, "auth": "service_http", "service_token": SERVICE_TOKEN},
    ],
    ids=["none", "service_http", "proxy", "proxy-service_http"],
)
async def test_recent_calls_are_the_operators_in_every_mode(
    make_client: MakeClient, mode: dict[str, str]
) -> None:
    client = await make_client(admin_token=ADMIN_TOKEN, **mode)
    for peer in REMOTE_PEERS:
        await assert_only_the_admin_token_opens(client, peer)
        for wrong in (
            f"Bearer {SERVICE_TOKEN}",  # the API's credential is not the operator's
            f"Bearer {ADMIN_TOKEN}x",
            f"Bearer {ADMIN_TOKEN[:-1]}",
            f"bearer {ADMIN_TOKEN.upper()}",
        ):
            await assert_refused(await read_calls(client, peer, wrong), invalid_token=True)
        for not_bearer in (f"Basic {ADMIN_TOKEN}", ADMIN_TOKEN):
            await assert_refused(await read_calls(client, peer, not_bearer), invalid_token=False)
        allowed = await read_calls(client, peer, f"bearer  {ADMIN_TOKEN} ")
        assert allowed.status_code == 200
    for peer in LOOPBACK_PEERS:  # the developer on this machine needs nothing
        assert (await read_calls(client, peer)).status_code == 200


@pytest.mark.parametrize(
    "published",
    [
        {"public_url": "https://plugin.example.com"},
        {"trusted_proxy_hops": 1},
        {"trusted_proxy_hops": 2, "trusted_proxies": ("127.0.0.1",)},
    ],
    ids=["public_url", "proxy_hops", "proxy_hops_from_loopback"],
)
async def test_loopback_alone_is_not_enough_once_published_or_proxied(
    make_client: MakeClient, published: dict[str, Any]
) -> None:
    """Behind a proxy on the same machine, every caller's peer is loopback."""
    client = await make_client(admin_token=ADMIN_TOKEN, **published)
    for peer in LOOPBACK_PEERS:
        await assert_only_the_admin_token_opens(client, peer)
        await assert_only_the_admin_token_opens(
            client, peer, **{"X-Forwarded-For": "127.0.0.1, 127.0.0.1"}
        )


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.7"},
        {"Forwarded": "for=203.0.113.7"},
        {"X-Real-IP": "203.0.113.7"},
        {"X-Forwarded-Proto": "https"},
    ],
)
async def test_a_proxy_left_out_of_the_settings_does_not_make_everyone_loopback(
    make_client: MakeClient, header: dict[str, str]
) -> None:
    """nginx on this machine, PLUGIN_TRUSTED_PROXY_HOPS forgotten: every peer is loopback."""
    client = await make_client(admin_token=ADMIN_TOKEN)
    for peer in LOOPBACK_PEERS:
        await assert_only_the_admin_token_opens(client, peer, **header)


async def test_without_an_admin_token_no_credential_reads_recent_calls(
    make_client: MakeClient,
) -> None:
    client = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    for given in (f"Bearer {SERVICE_TOKEN}", "Bearer ", "Bearer x", f"Bearer {ADMIN_TOKEN}"):
        response = await read_calls(client, REMOTE_PEERS[0], given)
        await assert_refused(response, invalid_token=given.strip() != "Bearer")
    assert (await read_calls(client, LOOPBACK_PEERS[0])).status_code == 200


def test_the_admin_token_is_a_hidden_secret_of_16_characters_or_more() -> None:
    settings = Settings(admin_token=ADMIN_TOKEN)
    assert ADMIN_TOKEN not in repr(settings)
    assert load_settings({"PLUGIN_ADMIN_TOKEN": ADMIN_TOKEN}).admin_token == ADMIN_TOKEN
    with pytest.raises(ConfigError, match="PLUGIN_ADMIN_TOKEN must have at least 16"):
        Settings(admin_token="short-secret")


@pytest.mark.parametrize("path", ["/", "/console/static/console.js", "/console/static/console.css"])
async def test_the_console_cannot_be_framed_and_runs_nothing_inline(
    client: QuartClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert set(policy) >= {"default-src", "img-src", "form-action"}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_has_no_inline_script_or_style() -> None:
    """What the CSP would block: the browser test then sees no violation."""
    html = (PROJECT_ROOT / "plugin" / "console" / "static" / "index.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)


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
