"""Failed sign-ins slow the address that makes them, never the owner signing in from elsewhere.

Behind one trusted proxy hop, each request names its address in ``X-Forwarded-For``, so one
test client plays the guesser and the owner at different addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from .conftest import World
from .support import EXACT_URI, PASSWORD, authorize_params, csrf_token, sign_in_form

WINDOW = 900
Worlds = Callable[..., AbstractAsyncContextManager[World]]
# (guesser, owner): IPv4, IPv6, and the owner at the guesser's neighbour address.
ADDRESSES = [
    ("203.0.113.9", "198.51.100.7"),
    ("2001:db8::66", "2001:db8:1::7"),
    ("192.0.2.10", "192.0.2.11"),
]


class SignInForm:
    """The sign-in page's form, posted from any address; errors other than 401 come as JSON."""

    def __init__(self, world: World, csrf: str) -> None:
        self.world = world
        self.params = authorize_params(world.exact.client.client_id, EXACT_URI)
        self.csrf = csrf

    @classmethod
    async def open(cls, world: World) -> SignInForm:
        params = authorize_params(world.exact.client.client_id, EXACT_URI)
        page = await world.client.get("/oauth/authorize", query_string=params)
        return cls(world, csrf_token(await page.get_data(as_text=True)))

    async def post(self, address: str, user: str = "ann", password: str = PASSWORD) -> Any:
        return await self.world.client.post(
            "/oauth/authorize",
            form=sign_in_form(self.params, self.csrf, user, password),
            headers={"X-Forwarded-For": address, "Accept": "application/json"},
        )

    async def wrong(self, address: str, user: str, tries: int) -> list[int]:
        """The statuses of ``tries`` wrong passwords for ``user`` from ``address``."""
        return [(await self.post(address, user, "wrong")).status_code for _ in range(tries)]


async def assert_refused(answer: Any, at_most: int = WINDOW) -> None:
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= at_most
    assert (await answer.get_json())["error"] == "too_many_requests"


@pytest.mark.parametrize(("guesser", "owner"), ADDRESSES)
async def test_owner_signs_in_while_someone_else_guesses(
    make_oauth: Worlds, guesser: str, owner: str
) -> None:
    async with make_oauth(trusted_proxy_hops=1) as world:
        form = await SignInForm.open(world)
        assert await form.wrong(guesser, "ann", 8) == [401] * 5 + [429] * 3
        await assert_refused(await form.post(guesser))  # even with the right password
        assert await form.wrong(owner, "ann", 1) == [401]
        assert (await form.post(owner)).status_code == 303
        world.clock.advance(WINDOW + 1)
        assert (await form.post(guesser)).status_code == 303


@pytest.mark.parametrize(("guesser", "owner"), ADDRESSES[:2])
async def test_one_address_guessing_many_accounts_is_limited(
    make_oauth: Worlds, guesser: str, owner: str
) -> None:
    async with make_oauth(trusted_proxy_hops=1) as world:
        form = await SignInForm.open(world)
        tried = []
        for name, tries in (("bob", 5), ("ann", 4), ("nobody", 4), ("admin", 4), ("", 3)):
            tried += await form.wrong(guesser, name, tries)
        assert tried == [401] * 20
        # Past 20 failures the address may try no account, even one it never tried.
        await assert_refused(await form.post(guesser, user="carl"))
        await assert_refused(await form.post(guesser, user="ann"))
        assert (await form.post(owner, user="bob")).status_code == 303
        assert (await form.post(owner, user="ann")).status_code == 303


async def test_a_guess_spread_over_many_addresses(make_oauth: Worlds) -> None:
    async with make_oauth(trusted_proxy_hops=1, signin_failures_account_wide=6) as world:
        form = await SignInForm.open(world)
        for host in range(1, 4):
            assert await form.wrong(f"203.0.113.{host}", "ann", 2) == [401, 401]
        # The account has 6 failures: an address that failed for it gets no further try...
        await assert_refused(await form.post("203.0.113.1"))
        await assert_refused(await form.post("203.0.113.2", password="wrong"))
        # ...a fresh address gets one, and the owner (no failures) gets in.
        assert await form.wrong("203.0.113.4", "ann", 2) == [401, 429]
        assert (await form.post("198.51.100.7")).status_code == 303
        # Another account, from an address that failed for ann, is not slowed.
        assert (await form.post("203.0.113.1", user="bob")).status_code == 303
        world.clock.advance(WINDOW - 10)
        await assert_refused(await form.post("203.0.113.4"), at_most=10)
        world.clock.advance(11)
        assert (await form.post("203.0.113.1")).status_code == 303


async def test_failures_count_for_the_pair_only(make_oauth: Worlds) -> None:
    async with make_oauth(trusted_proxy_hops=1, signin_failures_per_account=2) as world:
        form = await SignInForm.open(world)
        assert await form.wrong("203.0.113.9", "ann", 3) == [401, 401, 429]
        assert await form.wrong("203.0.113.9", "bob", 3) == [401, 401, 429]
        assert await form.wrong("203.0.113.10", "ann", 3) == [401, 401, 429]
        for user in ("ann", "bob"):
            assert (await form.post("198.51.100.7", user=user)).status_code == 303
