"""With user credentials the rate limit counts per user, whichever key or address they use."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plugin import Settings
from plugin.accounts import create_key
from plugin.oauth.clients import new_client

from .conftest import World, _world
from .support import FrozenClock


async def test_limit_is_per_user_across_keys_and_addresses(
    make_settings: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = make_settings(auth="user_http", rate_limit="2/minute")
    async for world in _world(settings, clock):
        keys = [(await create_key(world.store, "ann")).secret for _ in range(2)]
        bob = (await create_key(world.store, "bob")).secret
        statuses = []
        for index, key in enumerate([*keys, keys[0]]):
            response = await world.client.get(
                "/todos/me",
                headers={"Authorization": f"Bearer {key}"},
                scope_base={"client": (f"203.0.113.{index}", 1)},
            )
            statuses.append(response.status_code)
        assert statuses == [200, 200, 429]
        bob_answer = await world.client.get("/todos/me", headers={"Authorization": f"Bearer {bob}"})
        assert bob_answer.status_code == 200


async def _statuses(world: World, count: int, address: str, **headers: str) -> list[int]:
    scope = {"client": (address, 1)}
    return [
        (await world.client.get("/todos/me", headers=headers, scope_base=scope)).status_code
        for _ in range(count)
    ]


async def _refresh(world: World, address: str, client_id: str, secret: str | None = None) -> int:
    """A refresh with a junk token from ``address``: 400 once counted, 401 or 429 if not."""
    body = {"grant_type": "refresh_token", "refresh_token": "junk", "client_id": client_id}
    if secret is not None:
        body["client_secret"] = secret
    answer = await world.client.post("/oauth/token", json=body, scope_base={"client": (address, 1)})
    return int(answer.status_code)


@pytest.mark.parametrize("mode", ["user_http", "oauth"])
async def test_failed_keys_and_tokens_are_limited_per_address(
    make_settings: Callable[..., Settings], clock: FrozenClock, mode: str
) -> None:
    settings = make_settings(auth=mode, api_key_header="X-Api-Key", rate_limit_failed_auth="3/hour")
    async for world in _world(settings, clock):
        if mode == "user_http":
            good = {"Authorization": f"Bearer {(await create_key(world.store, 'ann')).secret}"}
        else:
            good = {"Authorization": f"Bearer {(await world.tokens())['access_token']}"}
        guesses = [
            {"Authorization": "Bearer not-a-key-0000000000000000"},
            {"X-Api-Key": "not-a-key-either-00000000000000"},
            {"Authorization": "Bearer " + good["Authorization"][7:-1]},
        ]
        assert await _statuses(world, 20, "203.0.113.1", **good) == [200] * 20
        assert await _statuses(world, 5, "203.0.113.2") == [401] * 5  # no credential: no guess
        statuses = [(await _statuses(world, 1, "203.0.113.2", **guess))[0] for guess in guesses]
        assert statuses == [401, 401, 401]
        assert await _statuses(world, 1, "203.0.113.2", **guesses[0]) == [429]
        assert await _statuses(world, 1, "203.0.113.2", **good) == [429]
        assert await _statuses(world, 1, "203.0.113.3", **good) == [200]


async def test_token_requests_count_per_client_not_per_address(
    make_settings: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = make_settings(
        auth="oauth", rate_limit="2/minute", rate_limit_oauth_client="4/minute"
    )
    async for world in _world(settings, clock):
        exact, chatgpt = world.exact.client.client_id, world.chatgpt.client.client_id
        exact_secret, chatgpt_secret = world.exact.secret, world.chatgpt.secret
        # One address, well past the per-caller budget of 2: the client's own budget counts.
        statuses = [await _refresh(world, "203.0.113.1", exact, exact_secret) for _ in range(4)]
        assert statuses == [400] * 4
        assert await _refresh(world, "203.0.113.2", exact, exact_secret) == 429
        assert await _refresh(world, "203.0.113.1", chatgpt, chatgpt_secret) == 400
        revoked = await world.revoke("junk", scope_base={"client": ("203.0.113.3", 1)})
        assert revoked.status_code == 429
        # A wrong secret is a failed authentication of the address, whichever client it names.
        wrong = [await _refresh(world, "198.51.100.1", chatgpt, "x") for _ in range(21)]
        assert wrong == [401] * 20 + [429]
        assert await _refresh(world, "198.51.100.1", chatgpt, "x") == 429
        refused = await _refresh(world, "198.51.100.1", chatgpt, chatgpt_secret)
        assert refused == 429  # refused before its secret is checked
        assert await _refresh(world, "198.51.100.2", chatgpt, chatgpt_secret) == 400
        # From ChatGPT's egress, where every GPT's requests leave, the right secret still works.
        egress = "23.102.140.113"
        wrong = [await _refresh(world, egress, chatgpt, "x") for _ in range(21)]
        assert wrong == [401] * 20 + [429]
        assert await _refresh(world, egress, chatgpt, chatgpt_secret) == 400


async def test_a_public_client_counts_per_address(
    make_settings: Callable[..., Settings], clock: FrozenClock
) -> None:
    settings = make_settings(auth="oauth", rate_limit_oauth_client="3/minute")
    async for world in _world(settings, clock):
        made = new_client(["https://claude.ai/api/mcp/auth_callback"], 0, public=True)
        assert await world.store.add_oauth_client(made.client)
        public = made.client.client_id
        statuses = [await _refresh(world, "203.0.113.1", public) for _ in range(4)]
        assert statuses == [400, 400, 400, 429]
        assert [await _refresh(world, "203.0.113.2", public) for _ in range(3)] == [400] * 3
