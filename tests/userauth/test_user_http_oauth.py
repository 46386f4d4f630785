"""``user_http`` with the authorization server (fast, through the app): keys and OAuth access
tokens of the same accounts, each token taken only by the resource it was minted for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugin import Settings, create_app
from plugin.accounts import create_key

from .conftest import World
from .test_mcp_oauth import BASE, MCP_RESOURCE, METADATA_URL, PING, bearer, mcp_token, public_client


async def test_the_authorization_server_runs_beside_the_keys(user_http: World) -> None:
    for path in (
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
    ):
        assert (await user_http.client.get(path)).status_code == 200
    missing = await user_http.client.post("/mcp", json=PING)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == f'Bearer resource_metadata="{METADATA_URL}"'
    wrong = await user_http.client.post("/mcp", json=PING, headers=bearer("neither-key-nor-token"))
    assert wrong.headers["WWW-Authenticate"].endswith('error="invalid_token"')
    api = await user_http.client.get("/todos/me", headers=bearer("neither-key-nor-token"))
    assert api.status_code == 401 and (await api.get_json())["error"] == "unauthorized"
    assert 'error="invalid_token"' in api.headers["WWW-Authenticate"]
    manifest = await (await user_http.client.get("/.well-known/ai-plugin.json")).get_json()
    assert manifest["auth"] == {"type": "user_http", "authorization_type": "bearer"}


async def test_keys_and_tokens_reach_what_they_were_made_for(user_http: World) -> None:
    key = (await create_key(user_http.store, "ann")).secret
    client_id = await public_client(user_http)
    for_mcp = await mcp_token(user_http, client_id)
    for_api = await mcp_token(user_http, client_id, resource=BASE)
    unbound = await mcp_token(user_http, client_id, resource=None)
    allowed = {
        "key": (bearer(key), True),
        "key header": ({"X-Api-Key": key}, True),
        "token for /mcp": (bearer(for_mcp), True),
        "token for the API": (bearer(for_api), False),
        "token without resource": (bearer(unbound), False),
    }
    for name, (headers, at_mcp) in allowed.items():
        answer = await user_http.client.post("/mcp", json=PING, headers=headers)
        assert (answer.status_code == 200) is at_mcp, name
        if not at_mcp:
            assert (await answer.get_json())["error"] == "invalid_token", name
            assert answer.headers["WWW-Authenticate"].startswith(
                f'Bearer resource_metadata="{METADATA_URL}"'
            )
        assert (await user_http.client.get("/todos/me", headers=headers)).status_code == 200, name


async def test_a_token_for_another_name_of_this_server_is_refused(user_http: World) -> None:
    token = await mcp_token(user_http, await public_client(user_http))  # for localhost/mcp
    elsewhere = {**bearer(token), "Host": "127.0.0.1"}
    for answer in (
        await user_http.client.post("/mcp", json=PING, headers=elsewhere),
        await user_http.client.get("/todos/me", headers=elsewhere),
    ):
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    key = {"X-Api-Key": (await create_key(user_http.store, "ann")).secret, "Host": "127.0.0.1"}
    assert (await user_http.client.post("/mcp", json=PING, headers=key)).status_code == 200


async def test_a_key_and_a_token_of_two_users_stay_apart(user_http: World) -> None:
    ann = bearer((await create_key(user_http.store, "ann")).secret)
    bob = bearer(await mcp_token(user_http, await public_client(user_http), "bob"))

    async def call(headers: dict[str, str], name: str, arguments: dict[str, Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        body["params"] = {"name": name, "arguments": {"username": "me", **arguments}}
        answer = await user_http.client.post("/mcp", json=body, headers=headers)
        return (await answer.get_json())["result"]

    await call(ann, "addTodo", {"todo": "ann's"})
    await call(bob, "addTodo", {"todo": "bob's"})
    assert (await call(ann, "getTodos", {}))["structuredContent"]["todos"] == ["ann's"]
    assert (await call(bob, "getTodos", {}))["structuredContent"]["todos"] == ["bob's"]
    assert (await call(bob, "getTodos", {"username": "ann"}))["isError"] is True


async def test_off_keeps_keys_only(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(auth="user_http", user_http_oauth=False))
    async with app.test_app():
        client = app.test_client()
        for path in ("/oauth/authorize", "/.well-known/oauth-authorization-server"):
            assert (await client.get(path)).status_code == 404
        missing = await client.post("/mcp", json=PING)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"] == 'Bearer realm="plugin"'
        assert MCP_RESOURCE not in await missing.get_data(as_text=True)
