"""``/mcp`` in ``oauth`` mode on the real server, signed into by the official MCP client: its
``OAuthClientProvider`` discovers the metadata, registers itself, and sends the person to the
sign-in page (a real form POST with its CSRF cookie, made here with httpx), then exchanges the
code with PKCE and ``resource`` and calls the tools."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from tests.servers import LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import PASSWORD, csrf_token, s256, sign_in_form

pytestmark = pytest.mark.slow

CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: the code is read off the redirect
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


class MemoryStorage:
    """The SDK's ``TokenStorage``, kept in memory for one client."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Person:
    """The user at the browser: opens the authorization URL, signs in, and is redirected."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.result: AuthorizationCodeResult | None = None
        self.authorization_url = ""

    async def open(self, url: str) -> None:
        self.authorization_url = url
        async with httpx.AsyncClient() as browser:
            page = await browser.get(url)
            assert page.status_code == 200, page.text
            params = dict(parse_qsl(urlsplit(url).query))
            answer = await browser.post(
                url.split("?")[0], data=sign_in_form(params, csrf_token(page.text), self.user)
            )
        assert answer.status_code == 303, answer.text
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        self.result = AuthorizationCodeResult(
            code=query["code"][0], state=query["state"][0], iss=query["iss"][0]
        )

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


async def signed_in_calls(
    url: str, person: Person, calls: list[tuple[str, dict[str, Any]]], mode: str = "legacy"
) -> tuple[list[Any], list[str], OAuthToken | None]:
    """Results of ``calls`` through the official client signed in as ``person``; every request
    the client itself made (method and path); the tokens it got."""
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="e2e",
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=person.open,
        callback_handler=person.callback,
    )
    seen: list[str] = []

    async def log(request: httpx2.Request) -> None:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/oauth/token":
            seen.append("token body: " + request.content.decode())

    async with httpx2.AsyncClient(auth=provider, event_hooks={"request": [log]}) as http:
        transport = streamable_http_client(f"{url}/mcp", http_client=http)
        async with Client(transport, mode=mode) as client:  # type: ignore[arg-type]
            results = [await client.call_tool(name, arguments) for name, arguments in calls]
    return results, seen, storage.tokens


@pytest.fixture
def oauth_server(tmp_path: Path, live_server: Callable[..., LiveServer]) -> LiveServer:
    database = tmp_path / "live.sqlite3"
    for user in ("ann", "bob"):
        cli_ok(database, "users", "add", user, stdin=PASSWORD + "\n")
    return live_server({"PLUGIN_AUTH": "oauth"})


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_official_client_signs_in_and_calls_tools(oauth_server: LiveServer, mode: str) -> None:
    url = oauth_server.url
    ann = Person("ann")
    calls = [("addTodo", {"username": "me", "todo": "milk"}), ("getTodos", {"username": "me"})]
    (added, listed), seen, tokens = asyncio.run(signed_in_calls(url, ann, calls, mode))
    assert not added.is_error and listed.structured_content["todos"] == ["milk"]
    discovery = [line for line in seen if not line.startswith("token body")]
    first_retry = discovery.index("POST /mcp", 1)
    assert discovery[: first_retry + 1] == [
        "POST /mcp",  # 401 with resource_metadata
        "GET /.well-known/oauth-protected-resource/mcp",
        "GET /.well-known/oauth-authorization-server",
        "POST /oauth/register",
        "POST /oauth/token",
        "POST /mcp",  # the same message again, with the token
    ]
    authorization = dict(parse_qsl(urlsplit(ann.authorization_url).query))
    assert authorization["resource"] == f"{url}/mcp"
    assert authorization["code_challenge_method"] == "S256"
    token_body = dict(parse_qsl(next(s for s in seen if s.startswith("token body"))[12:]))
    assert token_body["resource"] == f"{url}/mcp" and "code_verifier" in token_body
    assert "client_secret" not in token_body
    assert tokens is not None
    api = httpx.get(f"{url}/todos/me", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert api.json()["todos"] == ["milk"]


def test_two_users_signed_in_through_mcp_never_see_each_others_todos(
    oauth_server: LiveServer,
) -> None:
    url = oauth_server.url
    add = ("addTodo", {"username": "me", "todo": "bob's secret"})
    (bob_added,), _, _ = asyncio.run(signed_in_calls(url, Person("bob"), [add]))
    bob_id = bob_added.structured_content["id"]
    ann_calls = [
        ("addTodo", {"username": "me", "todo": "ann's"}),
        ("getTodos", {"username": "me"}),
        ("getTodos", {"username": "bob"}),
        ("deleteTodoById", {"username": "me", "todo_id": bob_id}),
    ]
    (_, mine, bobs, steal), _, _ = asyncio.run(signed_in_calls(url, Person("ann"), ann_calls))
    assert mine.structured_content["todos"] == ["ann's"]
    assert bobs.is_error and steal.is_error
    (bob_list,), _, _ = asyncio.run(
        signed_in_calls(url, Person("bob"), [("getTodos", {"username": "me"})])
    )
    assert bob_list.structured_content["todos"] == ["bob's secret"]


def register(url: str, **metadata: Any) -> httpx.Response:
    body = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", **metadata}
    return httpx.post(f"{url}/oauth/register", json=body)


def sign_in(url: str, params: dict[str, str], user: str = "ann") -> dict[str, list[str]]:
    """The browser half over HTTP; the redirect's query."""
    with httpx.Client(base_url=url) as browser:
        page = browser.get("/oauth/authorize", params=params)
        if page.status_code == 303:
            return parse_qs(urlsplit(page.headers["Location"]).query)
        answer = browser.post(
            "/oauth/authorize", data=sign_in_form(params, csrf_token(page.text), user)
        )
    assert answer.status_code == 303, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_other_audiences_and_the_plugin_flow(tmp_path: Path, oauth_server: LiveServer) -> None:
    url = oauth_server.url
    client_id = register(url).json()["client_id"]
    verifier = "v" * 50
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "s",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "resource": url,  # the API, not /mcp
    }
    query = sign_in(url, params)
    assert query["iss"] == [url]
    token = httpx.post(
        f"{url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    refused = httpx.post(f"{url}/mcp", json=PING, headers=headers)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith(
        f'Bearer resource_metadata="{url}/.well-known/oauth-protected-resource/mcp"'
    )
    assert httpx.get(f"{url}/todos/me", headers=headers).status_code == 200

    # A public client without PKCE is sent back with an error, never a code.
    no_pkce = {k: v for k, v in params.items() if not k.startswith("code_challenge")}
    query = sign_in(url, no_pkce)
    assert query["error"] == ["invalid_request"] and "code" not in query

    # The plugin flow, as ChatGPT runs it: a CLI client with a secret, no PKCE, no resource.
    database = tmp_path / "live.sqlite3"
    plugin = cli_ok(database, "oauth", "add-client", "--redirect-uri", "https://a.example/cb")
    query = sign_in(
        url,
        {
            "response_type": "code",
            "client_id": plugin["client_id"],
            "redirect_uri": "https://a.example/cb",
            "state": "p",
        },
    )
    answer = httpx.post(
        f"{url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": "https://a.example/cb",
            "client_id": plugin["client_id"],
            "client_secret": plugin["client_secret"],
        },
    )
    assert answer.status_code == 200
    plugin_headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert httpx.post(f"{url}/todos/me", json={"todo": "x"}, headers=plugin_headers).is_success
    assert httpx.post(f"{url}/mcp", json=PING, headers=plugin_headers).status_code == 401


def test_registration_rules_over_http(oauth_server: LiveServer) -> None:
    url = oauth_server.url
    for uris, error in (
        (["http://evil.example/cb"], "invalid_redirect_uri"),
        (["https://a.example/cb#x"], "invalid_redirect_uri"),
        (["custom-scheme:/cb"], "invalid_redirect_uri"),
    ):
        answer = register(url, redirect_uris=uris)
        assert answer.status_code == 400 and answer.json()["error"] == error
    accepted = register(url, redirect_uris=["https://claude.ai/api/mcp/auth_callback"])
    assert accepted.status_code == 201 and "client_secret" not in accepted.json()
    assert "Traceback" not in oauth_server.log()
    assert json.loads(httpx.get(f"{url}/.well-known/oauth-protected-resource").text)[
        "authorization_servers"
    ] == [url]
