"""An app in ``oauth`` or ``user_http`` mode with two users, two clients and a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import Quart
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.accounts import NewClient, add_client, add_user
from plugin.state import app_state
from plugin.storage import Store

from .support import (
    EXACT_URI,
    PASSWORD,
    FrozenClock,
    authorize_params,
    csrf_token,
    sign_in_form,
)


@dataclass
class World:
    app: Quart
    client: QuartClient
    store: Store
    clock: FrozenClock
    exact: NewClient
    chatgpt: NewClient

    async def code(
        self,
        client: NewClient | None = None,
        redirect_uri: str = EXACT_URI,
        user: str = "ann",
        **extra: str,
    ) -> str:
        """Run the browser half of the flow; the code the redirect carries."""
        client = client or self.exact
        params = authorize_params(client.client.client_id, redirect_uri, **extra)
        page = await self.client.get("/oauth/authorize", query_string=params)
        assert page.status_code == 200, await page.get_data(as_text=True)
        csrf = csrf_token(await page.get_data(as_text=True))
        answer = await self.client.post("/oauth/authorize", form=sign_in_form(params, csrf, user))
        assert answer.status_code == 303, await answer.get_data(as_text=True)
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["state"] == [params["state"]]
        return query["code"][0]

    async def token(
        self, body: dict[str, str], client: NewClient | None = None, **kwargs: Any
    ) -> Any:
        client = client or self.exact
        full = {"client_id": client.client.client_id, "client_secret": client.secret, **body}
        return await self.client.post("/oauth/token", json=full, **kwargs)

    async def revoke(self, token: str, client: NewClient | None = None, **extra: str) -> Any:
        client = client or self.exact
        body = {
            "token": token,
            "client_id": client.client.client_id,
            "client_secret": client.secret,
        }
        return await self.client.post("/oauth/revoke", form={**body, **extra})

    async def tokens(
        self, client: NewClient | None = None, redirect_uri: str = EXACT_URI, user: str = "ann"
    ) -> dict[str, Any]:
        code = await self.code(client, redirect_uri, user)
        answer = await self.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            client,
        )
        assert answer.status_code == 200, await answer.get_data(as_text=True)
        result: dict[str, Any] = await answer.get_json()
        return result


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


async def _world(settings: Settings, clock: FrozenClock) -> AsyncIterator[World]:
    app = create_app(settings, clock=clock)
    async with app.test_app():
        store = app_state(app).open_store
        await add_user(store, "ann", PASSWORD)
        await add_user(store, "bob", PASSWORD)
        exact = await add_client(store, [EXACT_URI], False)
        chatgpt = await add_client(store, [], True)
        yield World(app, app.test_client(), store, clock, exact, chatgpt)


@pytest.fixture
async def oauth(make_settings: Callable[..., Settings], clock: FrozenClock) -> AsyncIterator[World]:
    async for world in _world(make_settings(auth="oauth"), clock):
        yield world


@pytest.fixture
def make_oauth(
    make_settings: Callable[..., Settings], clock: FrozenClock
) -> Callable[..., AbstractAsyncContextManager[World]]:
    """``oauth`` mode with some settings changed: ``async with make_oauth(...) as world``."""
    return lambda **overrides: asynccontextmanager(_world)(
        make_settings(auth="oauth", **overrides), clock
    )


@pytest.fixture
async def user_http(
    make_settings: Callable[..., Settings], clock: FrozenClock
) -> AsyncIterator[World]:
    async for world in _world(make_settings(auth="user_http", api_key_header="X-Api-Key"), clock):
        yield world
