"""What ``users password`` and ``users revoke`` do to a running server's grants: the real CLI in a
subprocess, on the database the app in this process serves (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.accounts import create_key

from ..todo_table import todo_texts
from .cli import cli_ok, run_cli
from .conftest import World
from .support import CHATGPT_URI, EXACT_URI

pytestmark = pytest.mark.slow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def refreshed(world: World, tokens: dict[str, Any], client: Any = None) -> Any:
    """The grant's next tokens if its access and refresh tokens both work; None if both are
    refused (the old refresh token is spent either way: use what this returns)."""
    api = await world.client.get("/todos/me", headers=bearer(tokens["access_token"]))
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    answer = await world.token(refresh, client)
    if api.status_code == 401 and answer.status_code == 400:
        assert (await answer.get_json())["error"] == "invalid_grant"
        return None
    assert api.status_code == answer.status_code == 200, (api.status_code, answer.status_code)
    return await answer.get_json()


async def todos(world: World, user: str) -> list[str]:
    return await todo_texts(world.store.database, user)


async def test_a_new_password_revokes_every_grant_and_code_of_the_user(
    oauth: World, database: str
) -> None:
    exact = await oauth.tokens()
    chatgpt = await oauth.tokens(oauth.chatgpt, CHATGPT_URI)
    unused_code = await oauth.code()
    bobs = await oauth.tokens(user="bob")
    added = await oauth.client.post(
        "/todos/me", json={"todo": "milk"}, headers=bearer(exact["access_token"])
    )
    assert added.status_code == 200

    answer = cli_ok(database, "users", "password", "ann", stdin="a new password\n")
    assert answer == {"user": "ann", "password_changed": True, "grants_revoked": 3}

    assert await refreshed(oauth, exact) is None
    assert await refreshed(oauth, chatgpt, oauth.chatgpt) is None
    exchanged = await oauth.token(
        {"grant_type": "authorization_code", "code": unused_code, "redirect_uri": EXACT_URI}
    )
    assert exchanged.status_code == 400
    assert (await exchanged.get_json())["error"] == "invalid_grant"
    assert await refreshed(oauth, bobs) is not None  # another user's grant is untouched
    assert await todos(oauth, "ann") == ["milk"]


async def test_revoke_one_client_then_all_keeps_the_data(oauth: World, database: str) -> None:
    exact = await oauth.tokens()
    chatgpt = await oauth.tokens(oauth.chatgpt, CHATGPT_URI)
    bobs = await oauth.tokens(user="bob")
    await oauth.client.post(
        "/todos/me", json={"todo": "milk"}, headers=bearer(exact["access_token"])
    )
    client_id = oauth.exact.client.client_id

    answer = cli_ok(database, "users", "revoke", "ann", "--client", client_id)
    assert answer == {"user": "ann", "client_id": client_id, "grants_revoked": 1}
    assert await refreshed(oauth, exact) is None
    chatgpt = await refreshed(oauth, chatgpt, oauth.chatgpt)  # another client: untouched
    bobs = await refreshed(oauth, bobs)  # the same client, another user: untouched
    assert chatgpt is not None and bobs is not None

    answer = cli_ok(database, "users", "revoke", "ann")
    assert answer == {"user": "ann", "client_id": None, "grants_revoked": 1}
    assert await refreshed(oauth, chatgpt, oauth.chatgpt) is None
    assert await refreshed(oauth, bobs) is not None
    assert await todos(oauth, "ann") == ["milk"]
    again = await oauth.tokens()  # the account is kept: ann signs in again and finds her list
    listed = await oauth.client.get("/todos/me", headers=bearer(again["access_token"]))
    assert (await listed.get_json())["todos"] == ["milk"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("users", "revoke", "nobody"), "no user"),
        (("users", "revoke", "ann", "--client", "no-such-client"), "no client"),
    ],
)
async def test_revoke_refuses_an_unknown_user_or_client(
    oauth: World, database: str, args: tuple[str, ...], says: str
) -> None:
    status, error = run_cli(database, *args)
    assert status == 1 and error["error"] == "invalid_request"
    assert says in error["error_description"]


async def test_a_new_password_leaves_api_keys_alone(user_http: World, database: str) -> None:
    """Keys are credentials of their own (``keys revoke``): docs/auth.md says so."""
    key = (await create_key(user_http.store, "ann")).secret
    answer = cli_ok(database, "users", "password", "ann", stdin="a new password\n")
    assert answer["grants_revoked"] == 0
    assert (await user_http.client.get("/todos/me", headers=bearer(key))).status_code == 200
