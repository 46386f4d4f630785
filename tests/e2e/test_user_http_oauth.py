"""A ``user_http`` plugin on the real server, connected the way ChatGPT and Claude connect: the
official MCP client signs in through OAuth (PKCE, ``resource``) to the same accounts whose keys
other clients send; its discovery documents served and checked; and the official conformance
suite's authorization-server scenarios, in ``user_http`` and in ``oauth`` mode.

The suite's ``authorization`` command plays an OAuth client: it prints the authorization URL
and waits for the browser to reach its callback; the person's part (the sign-in form) is
played here over HTTP, as ``tests/e2e/test_mcp_oauth.py`` plays it for the SDK's client.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from plugin.lint import check_url
from tests.e2e.conftest import shared_server
from tests.e2e.test_mcp_conformance import CLI, NODE
from tests.e2e.test_mcp_oauth import PING, Person, register, sign_in, signed_in_calls
from tests.servers import LiveServer, copy_plugin, free_port
from tests.userauth.cli import cli_ok
from tests.userauth.support import PASSWORD, csrf_token, s256, sign_in_form

pytestmark = pytest.mark.slow

GET_MINE = ("getTodos", {"username": "me"})


def _server(folder: Path, mode: str, users: tuple[str, ...]) -> Iterator[LiveServer]:
    """A server in ``mode`` with ``users`` and its own copy of the plugin files."""
    root = copy_plugin(folder / "root")
    for user in users:
        cli_ok(folder / "plugin.sqlite3", "users", "add", user, stdin=PASSWORD + "\n")
    yield from shared_server(folder, {"PLUGIN_AUTH": mode, "PLUGIN_ROOT": str(root)})


@pytest.fixture(scope="module")
def user_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _server(tmp_path_factory.mktemp("user_http"), "user_http", ("ann", "bob", "cy"))


@pytest.fixture(scope="module")
def oauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _server(tmp_path_factory.mktemp("oauth"), "oauth", ("ann",))


def test_connected_through_oauth_each_user_sees_only_their_todos(user_http: LiveServer) -> None:
    url = user_http.url
    ann = Person("ann")
    calls = [("addTodo", {"username": "me", "todo": "ann's"}), GET_MINE]
    (_, listed), seen, tokens = asyncio.run(signed_in_calls(url, ann, calls, "2026-07-28"))
    assert listed.structured_content["todos"] == ["ann's"]
    assert seen[:3] == [
        "POST /mcp",  # 401 with resource_metadata: the challenge ChatGPT and Claude follow
        "GET /.well-known/oauth-protected-resource/mcp",
        "GET /.well-known/oauth-authorization-server",
    ]
    authorization = dict(parse_qsl(urlsplit(ann.authorization_url).query))
    assert authorization["resource"] == f"{url}/mcp"
    assert authorization["code_challenge_method"] == "S256"
    calls = [
        ("addTodo", {"username": "me", "todo": "bob's"}),
        GET_MINE,
        ("getTodos", {"username": "ann"}),
    ]
    (_, bobs, anns), _, _ = asyncio.run(signed_in_calls(url, Person("bob"), calls))
    assert bobs.structured_content["todos"] == ["bob's"] and anns.is_error
    assert tokens is not None
    api = httpx.get(f"{url}/todos/me", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert api.json()["todos"] == ["ann's"]


async def _with_key(url: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx2.AsyncClient(headers=headers) as http:
        transport = streamable_http_client(f"{url}/mcp", http_client=http)
        async with Client(transport) as client:  # type: ignore[arg-type]
            return await client.call_tool(*GET_MINE)


def test_a_key_still_works(user_http: LiveServer) -> None:
    database = user_http.env["PLUGIN_DATABASE"]
    key = cli_ok(database, "keys", "create", "cy")["key"]
    httpx.post(
        f"{user_http.url}/todos/me",
        json={"todo": "by key"},
        headers={"Authorization": f"Bearer {key}"},
    ).raise_for_status()
    listed = asyncio.run(_with_key(user_http.url, key))
    assert listed.structured_content["todos"] == ["by key"]
    refused = httpx.post(f"{user_http.url}/mcp", json=PING, headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401


def test_a_token_for_another_audience_is_refused(user_http: LiveServer) -> None:
    """Minted for this server as ``localhost``, presented to it as ``127.0.0.1``."""
    other = user_http.url.replace("127.0.0.1", "localhost")
    client_id = register(other).json()["client_id"]
    verifier = "v" * 50
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "http://127.0.0.1:9/callback",
        "state": "s",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "resource": f"{other}/mcp",
    }
    code = sign_in(other, params)["code"][0]
    body = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    body |= {"redirect_uri": params["redirect_uri"], "client_id": client_id}
    token = httpx.post(f"{other}/oauth/token", data=body).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{other}/mcp", json=PING, headers=headers).status_code == 200
    for answer in (
        httpx.post(f"{user_http.url}/mcp", json=PING, headers=headers),
        httpx.get(f"{user_http.url}/todos/me", headers=headers),
    ):
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_discovery_documents_served_and_checked(user_http: LiveServer) -> None:
    url = user_http.url
    manifest = httpx.get(f"{url}/.well-known/ai-plugin.json").json()
    server = httpx.get(f"{url}/.well-known/mcp/server.json").json()
    card = httpx.get(f"{url}/mcp/server-card").json()
    assert server["title"] == card["title"] == manifest["name_for_human"]
    assert server["description"] == manifest["description_for_human"]
    assert card["remotes"][0]["url"] == server["remotes"][0]["url"] == f"{url}/mcp"
    assert not [f for f in check_url(url).findings if "server" in f.path]
    spec = Path(user_http.env["PLUGIN_ROOT"]) / "openapi.yaml"
    good = spec.read_text()
    try:
        spec.write_text(good.replace("version: 1.0.0", "version: ^1.0.0"))
        report = check_url(url)
    finally:
        spec.write_text(good)
    bad = [(f.severity, f.path) for f in report.findings if "server" in f.path]
    assert bad == [("error", f"{url}/.well-known/mcp/server.json: version")]
    assert report.exit_code == 1


def _conformance(server: LiveServer, output: Path) -> dict[str, list[dict[str, Any]]]:
    """Both authorization-server scenarios of the suite, the person signing in as ann."""
    port = free_port()
    callback = f"http://127.0.0.1:{port}/callback"
    client_id = register(server.url, redirect_uris=[callback]).json()["client_id"]
    command = [str(NODE), str(CLI), "authorization", "--url", server.url]
    command += ["--client-id", client_id, "--resource", f"{server.url}/mcp"]
    command += ["-p", str(port), "-o", str(output)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as suite:
        assert suite.stdout is not None
        url = ""
        for line in suite.stdout:
            if line.startswith(f"{server.url}/oauth/authorize?"):
                url = line.strip()
            if line.startswith("Callback server started"):
                break
        assert url, "the suite printed no authorization URL"
        with httpx.Client() as browser:
            page = browser.get(url)
            params = dict(parse_qsl(urlsplit(url).query))
            form = sign_in_form(params, csrf_token(page.text), "ann")
            answer = browser.post(url.split("?")[0], data=form)
            assert answer.status_code == 303, answer.text
            assert browser.get(answer.headers["Location"]).status_code == 200
        suite.communicate(timeout=120)
    return {
        checks.parent.name: json.loads(checks.read_text())
        for checks in output.glob("*/checks.json")
    }


# The one check that cannot pass: this server has no Client ID Metadata Documents (SEP-991);
# clients register dynamically (RFC 7591) or are registered with `oauth add-client`.
NOT_SUPPORTED = {"authorization-server-metadata-cimd"}


@pytest.mark.parametrize("mode", ["user_http", "oauth"])
def test_conformance_authorization_scenarios(
    request: pytest.FixtureRequest, tmp_path: Path, mode: str
) -> None:
    if not CLI.is_file():
        pytest.fail("the conformance suite is not installed: run `make test`")
    ran = _conformance(request.getfixturevalue(mode), tmp_path)
    checks = {check["id"]: check["status"] for found in ran.values() for check in found}
    assert checks == {
        "authorization-server-metadata": "SUCCESS",
        "authorization-code-grant": "SUCCESS",
        **{check: "WARNING" for check in NOT_SUPPORTED},
    }
