"""Dynamic client registration (RFC 7591) from shared egress addresses: a few hundred users
behind one address are all served, and what a flood leaves in the database is bounded.

Behind one trusted proxy hop, each request names its address in ``X-Forwarded-For``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from plugin.storage import open_store
from plugin.storage.records import AuthorizationCode, OAuthClient, UnusedClients

from .conftest import World
from .support import csrf_token, old_database, s256, sign_in_form

Worlds = Callable[..., AbstractAsyncContextManager[World]]
CLAUDE = "https://claude.ai/api/mcp/auth_callback"
CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
EGRESS = "160.79.104.10"
WINDOW = 900
WEEK = 7 * 24 * 3600


async def register(world: World, address: str, uri: str = CLAUDE, method: str = "none") -> Any:
    body = {"redirect_uris": [uri], "token_endpoint_auth_method": method}
    return await world.client.post(
        "/oauth/register", json=body, headers={"X-Forwarded-For": address}
    )


async def registered(world: World, address: str, uri: str = CLAUDE) -> str:
    answer = await register(world, address, uri)
    assert answer.status_code == 201, await answer.get_data(as_text=True)
    client_id: str = (await answer.get_json())["client_id"]
    return client_id


async def signs_in(world: World, client_id: str, uri: str = CLAUDE) -> bool:
    """Whether ann gets a code for this client; False if the page says it is not registered."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": uri,
        "state": "st",
        "code_challenge": s256("verifier-" + "x" * 40),
        "code_challenge_method": "S256",
    }
    page = await world.client.get("/oauth/authorize", query_string=params)
    if page.status_code == 400:
        assert "not registered" in await page.get_data(as_text=True)
        return False
    csrf = csrf_token(await page.get_data(as_text=True))
    answer = await world.client.post("/oauth/authorize", form=sign_in_form(params, csrf))
    assert answer.status_code == 303 and "code=" in answer.headers["Location"]
    return True


async def dynamic_clients(world: World) -> set[str]:
    return {client.client_id for client in await world.store.list_oauth_clients() if client.dynamic}


async def test_three_hundred_users_behind_one_address_register(make_oauth: Worlds) -> None:
    async with make_oauth(trusted_proxy_hops=1) as world:
        made = []
        for index in range(300):
            uri = (CLAUDE, CHATGPT)[index % 2]
            method = ("none", "client_secret_basic")[index % 3 % 2]
            answer = await register(world, EGRESS, uri, method)
            assert answer.status_code == 201, (index, await answer.get_data(as_text=True))
            made.append((await answer.get_json())["client_id"])
        assert await dynamic_clients(world) == set(made)
        assert await signs_in(world, made[0]) and await signs_in(world, made[-1], CHATGPT)


async def test_a_flood_from_one_address_is_refused_and_keeps_little(make_oauth: Worlds) -> None:
    async with make_oauth(trusted_proxy_hops=1, oauth_registrations_per_address=5) as world:
        first = [await registered(world, "203.0.113.9") for _ in range(5)]
        limited = await register(world, "203.0.113.9")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= WINDOW
        assert (await limited.get_json())["error"] == "too_many_requests"
        elsewhere = await registered(world, "198.51.100.7")
        assert await signs_in(world, first[0])  # a person signed in with it: kept
        world.clock.advance(WINDOW + 1)
        second = [await registered(world, "203.0.113.9") for _ in range(5)]
        # The address keeps its 5 newest unused clients, and the used one.
        assert await dynamic_clients(world) == {first[0], *second, elsewhere}
        assert not await signs_in(world, first[1])


@pytest.mark.parametrize("addresses", [40, 25])
async def test_many_addresses_cannot_fill_the_database(make_oauth: Worlds, addresses: int) -> None:
    async with make_oauth(trusted_proxy_hops=1, oauth_unused_clients=10) as world:
        used = await registered(world, "198.51.100.7")
        assert await signs_in(world, used)
        flood = [await registered(world, f"2001:db8::{index:x}") for index in range(addresses)]
        assert await dynamic_clients(world) == {used, *flood[-10:]}
        assert not await signs_in(world, flood[0])
        assert await signs_in(world, used) and await signs_in(world, flood[-10])


async def test_clients_nobody_used_are_pruned_after_a_week(make_oauth: Worlds) -> None:
    async with make_oauth(trusted_proxy_hops=1) as world:
        abandoned = await registered(world, EGRESS)
        used = await registered(world, EGRESS)
        assert await signs_in(world, used)
        world.clock.advance(WEEK - 1)
        recent = await registered(world, EGRESS)
        assert abandoned in await dynamic_clients(world)
        world.clock.advance(2)
        latest = await registered(world, "198.51.100.7")
        assert await dynamic_clients(world) == {used, recent, latest}
        assert await world.store.get_oauth_client(world.exact.client.client_id) is not None


async def test_no_code_for_a_client_that_is_gone(oauth: World) -> None:
    now = int(oauth.clock())
    code = AuthorizationCode("h1", "gone", "ann", CLAUDE, "", None, now + 60)
    assert await oauth.store.add_authorization_code(code, now) is False
    assert await oauth.store.get_authorization_code("h1") is None
    kept = AuthorizationCode("h2", oauth.exact.client.client_id, "ann", CLAUDE, "", None, now + 60)
    assert await oauth.store.add_authorization_code(kept, now) is True
    assert await oauth.store.get_authorization_code("h2") == kept


async def test_clients_from_before_the_upgrade_are_never_pruned(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    connection = old_database(path, 3)
    connection.execute(
        "INSERT INTO oauth_clients VALUES ('old', 'h', ?, 0, 1, '', 1, 1)", (CLAUDE,)
    )
    connection.commit()
    connection.close()
    store = await open_store(path)
    try:
        tight = UnusedClients(per_address=1, overall=1, lifetime=1)
        for index in range(3):
            client = OAuthClient(
                f"new{index}", "h", (CLAUDE,), False, 10**9, public=True, dynamic=True
            )
            assert await store.add_dynamic_client(client, "-", 10**9 + index, tight)
        assert [client.client_id for client in await store.list_oauth_clients()] == [
            "old",
            "new2",
        ]
    finally:
        await store.close()
