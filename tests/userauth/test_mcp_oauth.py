"""``/mcp`` as an OAuth resource server, through the app (fast): the metadata documents (RFC
9728, RFC 8414), dynamic registration (RFC 7591), audiences (RFC 8707), ``iss`` (RFC 9207),
public clients' PKCE, and the redirect presets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from plugin import Settings, create_app
from plugin.oauth.clients import new_client
from plugin.oauth.redirect_uris import allowed_redirect_uri
from plugin.state import app_state
from plugin.storage import open_store

from .cli import cli_ok
from .conftest import World
from .support import PASSWORD, csrf_token, old_database, s256, sign_in_form

BASE = "http://localhost"
MCP_RESOURCE = f"{BASE}/mcp"
METADATA_URL = f"{BASE}/.well-known/oauth-protected-resource/mcp"
CALLBACK = "http://127.0.0.1:33333/callback"
VERIFIER = "verifier-" + "x" * 40
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(world: World, **metadata: Any) -> Any:
    body = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", **metadata}
    return await world.client.post("/oauth/register", json=body)


async def public_client(world: World) -> str:
    answer = await register(world)
    assert answer.status_code == 201, await answer.get_data(as_text=True)
    client_id: str = (await answer.get_json())["client_id"]
    return client_id


async def authorize(
    world: World, client_id: str, user: str = "ann", **extra: str
) -> dict[str, Any]:
    """Sign in on the page and return the redirect's query."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "st",
        **extra,
    }
    page = await world.client.get("/oauth/authorize", query_string=params)
    if page.status_code == 303:
        return parse_qs(urlsplit(page.headers["Location"]).query)
    csrf = csrf_token(await page.get_data(as_text=True))
    answer = await world.client.post("/oauth/authorize", form=sign_in_form(params, csrf, user))
    assert answer.status_code == 303, await answer.get_data(as_text=True)
    return parse_qs(urlsplit(answer.headers["Location"]).query)


async def mcp_token(
    world: World, client_id: str, user: str = "ann", resource: str | None = MCP_RESOURCE
) -> str:
    extra = {"code_challenge": s256(VERIFIER), "code_challenge_method": "S256"}
    if resource is not None:
        extra["resource"] = resource
    query = await authorize(world, client_id, user, **extra)
    body = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": client_id,
        "code_verifier": VERIFIER,
    }
    if resource is not None:
        body["resource"] = resource
    answer = await world.client.post("/oauth/token", form=body)
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    token: str = (await answer.get_json())["access_token"]
    return token


async def test_metadata_documents(oauth: World) -> None:
    for path in (
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ):
        answer = await oauth.client.get(path)
        assert answer.status_code == 200
        assert await answer.get_json() == {
            "resource": MCP_RESOURCE,
            "authorization_servers": [BASE],
            "bearer_methods_supported": ["header"],
            "scopes_supported": [],
        }
    metadata = await (await oauth.client.get("/.well-known/oauth-authorization-server")).get_json()
    assert metadata["issuer"] == BASE
    assert metadata["registration_endpoint"] == f"{BASE}/oauth/register"
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["code_challenge_methods_supported"] == ["S256"]


async def test_generated_documents_win_over_files(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    for name in ("oauth-protected-resource", "oauth-authorization-server"):
        (plugin_root / ".well-known" / name).write_text('{"resource": "https://evil.example"}')
    app = create_app(make_settings(auth="oauth", root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        document = await (await client.get("/.well-known/oauth-protected-resource")).get_json()
        assert document["resource"] == MCP_RESOURCE
        metadata = await (await client.get("/.well-known/oauth-authorization-server")).get_json()
        assert metadata["issuer"] == BASE


async def test_mcp_metadata_absent_without_mcp(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(auth="oauth", mcp=False))
    async with app.test_app():
        client = app.test_client()
        assert (await client.get("/.well-known/oauth-protected-resource")).status_code == 404
        assert (await client.post("/oauth/register", json={})).status_code == 404
        metadata = await (await client.get("/.well-known/oauth-authorization-server")).get_json()
        assert "registration_endpoint" not in metadata
        assert "none" not in metadata["token_endpoint_auth_methods_supported"]


async def test_mcp_401_names_the_resource_metadata(oauth: World) -> None:
    missing = await oauth.client.post("/mcp", json=PING)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == f'Bearer resource_metadata="{METADATA_URL}"'
    assert (await missing.get_json())["error"] == "unauthorized"
    wrong = await oauth.client.post("/mcp", json=PING, headers=bearer("not-a-token"))
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{METADATA_URL}", error="invalid_token"'
    )
    assert (await wrong.get_json())["error"] == "invalid_token"


async def test_public_client_flow_binds_the_audience_and_carries_iss(oauth: World) -> None:
    client_id = await public_client(oauth)
    token = await mcp_token(oauth, client_id)
    answer = await oauth.client.post("/mcp", json=PING, headers=bearer(token))
    assert answer.status_code == 200 and (await answer.get_json())["result"] == {}
    # The same token reaches the API the tools call (in-process and directly).
    assert (await oauth.client.get("/todos/me", headers=bearer(token))).status_code == 200
    query = await authorize(
        oauth,
        client_id,
        code_challenge=s256(VERIFIER),
        code_challenge_method="S256",
        resource=MCP_RESOURCE,
    )
    assert query["iss"] == [BASE] and query["state"] == ["st"]


async def test_tokens_for_another_audience_or_none_are_refused_at_mcp(oauth: World) -> None:
    client_id = await public_client(oauth)
    for resource in (BASE, None):
        token = await mcp_token(oauth, client_id, resource=resource)
        refused = await oauth.client.post("/mcp", json=PING, headers=bearer(token))
        assert refused.status_code == 401
        assert (await refused.get_json())["error"] == "invalid_token"
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        assert (await oauth.client.get("/todos/me", headers=bearer(token))).status_code == 200
    # The plugin flow's tokens (a CLI client, no resource) work for the API exactly as before.
    plugin = await oauth.tokens()
    headers = bearer(plugin["access_token"])
    assert (await oauth.client.get("/todos/me", headers=headers)).status_code == 200
    assert (await oauth.client.post("/mcp", json=PING, headers=headers)).status_code == 401


async def test_resource_errors(oauth: World) -> None:
    client_id = await public_client(oauth)
    pkce = {"code_challenge": s256(VERIFIER), "code_challenge_method": "S256"}
    for resource in ("https://other.example/mcp", f"{MCP_RESOURCE}#x", f"{BASE}/todos"):
        query = await authorize(oauth, client_id, resource=resource, **pkce)
        assert query["error"] == ["invalid_target"] and query["iss"] == [BASE]
    query = await authorize(oauth, client_id, resource=MCP_RESOURCE, **pkce)
    body = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": client_id,
        "code_verifier": VERIFIER,
        "resource": BASE,
    }
    mismatch = await oauth.client.post("/oauth/token", form=body)
    assert mismatch.status_code == 400 and (await mismatch.get_json())["error"] == "invalid_target"
    answer = await oauth.client.post("/oauth/token", form={**body, "resource": MCP_RESOURCE + "/"})
    assert answer.status_code == 200
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": (await answer.get_json())["refresh_token"],
        "client_id": client_id,
    }
    other = await oauth.client.post("/oauth/token", form={**refresh, "resource": BASE})
    assert (await other.get_json())["error"] == "invalid_target"
    renewed = await oauth.client.post("/oauth/token", form=refresh)
    token = (await renewed.get_json())["access_token"]
    assert (await oauth.client.post("/mcp", json=PING, headers=bearer(token))).status_code == 200


async def test_public_client_must_use_pkce(oauth: World) -> None:
    client_id = await public_client(oauth)
    query = await authorize(oauth, client_id, resource=MCP_RESOURCE)
    assert query["error"] == ["invalid_request"] and "PKCE" in query["error_description"][0]
    assert query["iss"] == [BASE] and query["state"] == ["st"]
    plain = await authorize(
        oauth, client_id, code_challenge=VERIFIER[:43], code_challenge_method="plain"
    )
    assert plain["error"] == ["invalid_request"]
    # A code from the page cannot be exchanged without its verifier, or with a secret.
    query = await authorize(
        oauth, client_id, code_challenge=s256(VERIFIER), code_challenge_method="S256"
    )
    body = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": client_id,
    }
    answer = await oauth.client.post("/oauth/token", form=body)
    assert (await answer.get_json())["error"] == "invalid_grant"
    forged = await oauth.client.post(
        "/oauth/token", form={**body, "client_secret": "guess", "code_verifier": VERIFIER}
    )
    assert forged.status_code == 401 and (await forged.get_json())["error"] == "invalid_client"


async def test_confidential_registration_gets_a_secret_and_still_needs_pkce(oauth: World) -> None:
    answer = await register(oauth, token_endpoint_auth_method="client_secret_post")
    assert answer.status_code == 201
    registered = await answer.get_json()
    assert registered["client_secret"] and registered["client_secret_expires_at"] == 0
    assert answer.headers["Cache-Control"] == "no-store"
    query = await authorize(oauth, registered["client_id"])
    assert query["error"] == ["invalid_request"]
    token = await mcp_token_confidential(oauth, registered)
    assert (await oauth.client.post("/mcp", json=PING, headers=bearer(token))).status_code == 200


async def mcp_token_confidential(world: World, registered: dict[str, Any]) -> str:
    query = await authorize(
        world,
        registered["client_id"],
        code_challenge=s256(VERIFIER),
        code_challenge_method="S256",
        resource=MCP_RESOURCE,
    )
    body = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": registered["client_id"],
        "client_secret": registered["client_secret"],
        "code_verifier": VERIFIER,
    }
    answer = await world.client.post("/oauth/token", form=body)
    token: str = (await answer.get_json())["access_token"]
    return token


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://a.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://user:pw@a.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://a.example/cb"}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://a.example/" + "x" * 3000]}, "invalid_redirect_uri"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"grant_types": ["refresh_token"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"scope": "admin"}, "invalid_client_metadata"),
        ({"scope": 7}, "invalid_client_metadata"),
    ],
)
async def test_registration_errors_store_nothing(
    oauth: World, metadata: dict[str, Any], error: str
) -> None:
    before = await oauth.store.list_oauth_clients()
    answer = await register(oauth, **metadata)
    assert answer.status_code == 400
    assert (await answer.get_json())["error"] == error
    assert await oauth.store.list_oauth_clients() == before


async def test_registration_accepts_https_and_loopback(oauth: World) -> None:
    uris = ["https://chatgpt.com/connector/oauth/abc", "http://localhost:9/cb", "http://[::1]/cb"]
    answer = await register(oauth, redirect_uris=uris, grant_types=["authorization_code"])
    assert answer.status_code == 201
    registered = await answer.get_json()
    assert registered["redirect_uris"] == uris and "client_secret" not in registered
    stored = await oauth.store.get_oauth_client(registered["client_id"])
    assert stored is not None and stored.public and stored.dynamic
    for body in (b"not json", b"[1]"):
        bad = await oauth.client.post(
            "/oauth/register", data=body, headers={"Content-Type": "application/json"}
        )
        assert (await bad.get_json())["error"] == "invalid_client_metadata"
    form = await oauth.client.post("/oauth/register", form={"redirect_uris": CALLBACK})
    assert form.status_code == 400


async def test_registration_is_rate_limited_per_address(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(auth="oauth", oauth_registrations_per_address=2))
    async with app.test_app():
        client = app.test_client()
        body = {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}
        for _ in range(2):
            assert (await client.post("/oauth/register", json=body)).status_code == 201
        limited = await client.post("/oauth/register", json=body)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        envelope = await limited.get_json()
        assert envelope["error"] == "too_many_requests"
        assert "registrations" in envelope["error_description"]
        assert len(await app_state(app).open_store.list_oauth_clients()) == 2


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("https://chatgpt.com/connector/oauth/AbC_1-2", True),
        ("https://chatgpt.com/connector_platform_oauth_redirect", True),
        ("https://claude.ai/api/mcp/auth_callback", True),
        ("https://claude.com/api/mcp/auth_callback", True),
        ("https://chatgpt.com/connector/oauth/", False),
        ("https://chatgpt.com/connector/oauth/a/b", False),
        ("https://chatgpt.com/connector/oauth/a?x=1", False),
        ("https://chatgpt.com.evil.example/connector/oauth/a", False),
        ("https://chatgpt.com:444/connector/oauth/a", False),
        ("http://chatgpt.com/connector/oauth/a", False),
        ("https://claude.ai/api/mcp/auth_callback/", False),
        ("https://claude.ai/api/mcp/auth_callback#x", False),
        ("https://evil.claude.ai/api/mcp/auth_callback", False),
        ("https://chatgpt.com/aip/g-1/oauth/callback", False),
    ],
)
def test_redirect_presets_are_anchored(uri: str, allowed: bool) -> None:
    client = new_client([], 0, presets=("chatgpt-connector", "claude")).client
    assert allowed_redirect_uri(client, uri) is allowed
    assert not allowed_redirect_uri(new_client([], 0).client, uri)


async def test_two_users_through_mcp_see_only_their_own(oauth: World) -> None:
    client_id = await public_client(oauth)
    tokens = {user: await mcp_token(oauth, client_id, user) for user in ("ann", "bob")}

    async def call(user: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        }
        answer = await oauth.client.post("/mcp", json=body, headers=bearer(tokens[user]))
        result: dict[str, Any] = (await answer.get_json())["result"]
        return result

    await call("ann", "addTodo", {"username": "me", "todo": "ann's"})
    await call("bob", "addTodo", {"username": "me", "todo": "bob's"})
    assert (await call("ann", "getTodos", {"username": "me"}))["structuredContent"]["todos"] == [
        "ann's"
    ]
    assert (await call("ann", "getTodos", {"username": "bob"}))["isError"] is True
    text = json.dumps(await call("bob", "getTodos", {"username": "me"}))
    assert "ann's" not in text and "bob's" in text
    assert PASSWORD not in text


def test_cli_presets(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    made = cli_ok(database, "oauth", "add-client", "--chatgpt-connector", "--claude")
    assert made["redirect_presets"] == ["chatgpt-connector", "claude"]
    assert made["client_secret"] and made["redirect_uris"] == [] and not made["public"]
    (listed,) = cli_ok(database, "oauth", "list-clients")["clients"]
    assert listed["redirect_presets"] == ["chatgpt-connector", "claude"]
    assert listed["dynamic"] is False and "client_secret" not in listed


async def test_version_2_clients_and_grants_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    connection = old_database(path, 2)
    connection.execute("INSERT INTO users VALUES ('ann', 'x', 1)")
    connection.execute("INSERT INTO oauth_clients VALUES ('c1', 'h', 'https://a.example/cb', 1, 1)")
    connection.execute("INSERT INTO oauth_grants VALUES ('g1', 'c1', 'ann', '', 1)")
    connection.execute("INSERT INTO oauth_tokens VALUES ('t1', 'g1', 'access', 99, 0)")
    connection.commit()
    connection.close()
    store = await open_store(path)
    try:
        client = await store.get_oauth_client("c1")
        assert client is not None and client.chatgpt_callback
        assert (client.redirect_presets, client.public, client.dynamic) == ((), False, False)
        token = await store.get_token("t1")
        assert token is not None and token.grant.resource is None
    finally:
        await store.close()
