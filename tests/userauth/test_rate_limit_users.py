"""With user credentials the rate limit counts per user, whichever key or address they use."""

from __future__ import annotations

from collections.abc import Callable

from plugin import Settings
from plugin.accounts import create_key

from .conftest import _world
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
