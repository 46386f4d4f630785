"""``user_http`` mode through the app (fast): a user's key names the user, however it is sent."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from plugin import create_app
from plugin.accounts import create_key
from plugin.config import is_database_url

from ..todo_table import todo_texts
from .conftest import World


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _all_rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    """Every row as the database holds it, read past the store on a connection of our own."""
    if is_database_url(database):
        connection = await asyncpg.connect(database)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(sql).fetchall()


async def test_key_acts_as_its_user(user_http: World) -> None:
    key = (await create_key(user_http.store, "ann")).secret
    auth = {"Authorization": f"Bearer {key}"}
    assert (
        await user_http.client.post("/todos/me", json={"todo": "milk"}, headers=auth)
    ).status_code == 200
    listed = await (await user_http.client.get("/todos/ann", headers=auth)).get_json()
    assert listed["todos"] == ["milk"]
    assert await todo_texts(user_http.store.database, "ann") == ["milk"]


async def test_custom_header_for_gpt_actions(user_http: World) -> None:
    key = (await create_key(user_http.store, "ann")).secret
    answer = await user_http.client.get("/todos/me", headers={"X-Api-Key": key})
    assert answer.status_code == 200
    assert (
        await user_http.client.get("/todos/me", headers={"X-Api-Key": "nope"})
    ).status_code == 401


@pytest.mark.parametrize("form", ["bare", "base64", "user:key", ":key"])
async def test_basic_accepts_what_users_paste(make_settings, clock, form: str) -> None:  # type: ignore[no-untyped-def]
    from plugin.accounts import add_user
    from plugin.state import app_state

    app = create_app(make_settings(auth="user_http", authorization_type="basic"), clock=clock)
    async with app.test_app():
        store = app_state(app).open_store
        await add_user(store, "ann", "password123")
        key = (await create_key(store, "ann")).secret
        value = {
            "bare": key,
            "base64": b64(key),
            "user:key": b64(f"ann:{key}"),
            ":key": b64(f":{key}"),
        }[form]
        client = app.test_client()
        assert (
            await client.get("/todos/me", headers={"Authorization": f"Basic {value}"})
        ).status_code == 200
        refused = await client.get("/todos/me", headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
            "Basic"
        )


async def test_revoked_and_unknown_keys_are_refused(user_http: World) -> None:
    made = await create_key(user_http.store, "ann")
    other = await create_key(user_http.store, "ann")
    assert await user_http.store.revoke_api_keys("ann", made.key.id, 0) == 1
    assert (
        await user_http.client.get("/todos/me", headers={"Authorization": f"Bearer {made.secret}"})
    ).status_code == 401
    assert (
        await user_http.client.get("/todos/me", headers={"Authorization": f"Bearer {other.secret}"})
    ).status_code == 200
    assert await user_http.store.revoke_api_keys("ann", None, 0) == 1
    assert (
        await user_http.client.get("/todos/me", headers={"Authorization": f"Bearer {other.secret}"})
    ).status_code == 401
    for header in ("", "Bearer", "Bearer " + made.secret[:-1], "Basic " + made.secret):
        answer = await user_http.client.get("/todos/me", headers={"Authorization": header})
        assert answer.status_code == 401
        assert (await answer.get_json())["error"] == "unauthorized"


async def test_removed_user_loses_keys_and_todos(user_http: World) -> None:
    key = (await create_key(user_http.store, "ann")).secret
    auth = {"Authorization": f"Bearer {key}"}
    await user_http.client.post("/todos/me", json={"todo": "milk"}, headers=auth)
    assert await user_http.store.remove_user("ann")
    assert (await user_http.client.get("/todos/me", headers=auth)).status_code == 401
    assert await todo_texts(user_http.store.database, "ann") == []


async def test_keys_are_stored_hashed(user_http: World) -> None:
    made = await create_key(user_http.store, "ann")
    listed = await user_http.store.list_api_keys("ann")
    assert [key.id for key in listed] == [made.key.id]
    assert listed[0].prefix == made.secret[:6]
    database = user_http.app.extensions["plugin"].settings.database
    stored = await _all_rows(database, "SELECT * FROM api_keys")
    assert stored and all(made.secret not in str(value) for row in stored for value in row)
    if not is_database_url(database):
        path = Path(database)
        files = list(path.parent.glob(path.name + "*"))  # the database and its WAL
        assert files and all(made.secret.encode() not in file.read_bytes() for file in files)
    assert len(made.secret) >= 43  # 256 bits of token_urlsafe


async def test_service_token_in_custom_header(make_settings) -> None:  # type: ignore[no-untyped-def]
    token = "service-token-0123456789abcdef"
    app = create_app(
        make_settings(auth="service_http", service_token=token, api_key_header="X-Api-Key")
    )
    async with app.test_app():
        client = app.test_client()
        assert (await client.get("/todos/ann", headers={"X-Api-Key": token})).status_code == 200
        assert (await client.get("/todos/ann", headers={"X-Api-Key": "wrong"})).status_code == 401
