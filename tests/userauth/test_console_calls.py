"""A user's own credential, good for the API, never reads the console's recent calls: those list
every user's calls and are the operator's (tests/test_console.py has the operator's side)."""

from __future__ import annotations

from plugin.accounts import create_key
from tests.test_console import assert_refused, read_calls

from .conftest import World

REMOTE = "203.0.113.9"


async def test_a_users_key_does_not_read_recent_calls(user_http: World) -> None:
    key = (await create_key(user_http.store, "ann")).secret
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-Api-Key": key}):
        assert (await user_http.client.get("/todos/me", headers=headers)).status_code == 200
    await assert_refused(await read_calls(user_http.client, REMOTE, f"Bearer {key}"), True)
    await assert_refused(
        await read_calls(user_http.client, REMOTE, **{"X-Api-Key": key}), invalid_token=False
    )


async def test_a_users_oauth_token_does_not_read_recent_calls(oauth: World) -> None:
    token = (await oauth.tokens(user="bob"))["access_token"]
    bearer = f"Bearer {token}"
    api = await oauth.client.get("/todos/me", headers={"Authorization": bearer})
    assert api.status_code == 200
    await assert_refused(await read_calls(oauth.client, REMOTE, bearer), invalid_token=True)
