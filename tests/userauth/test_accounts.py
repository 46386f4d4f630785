"""What the admin commands refuse (fast, through the same functions the CLI calls)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from plugin.accounts import AccountError, add_client, add_user, create_key
from plugin.auth.passwords import hash_password, verify_password
from plugin.storage import Store, open_store

from .support import CHATGPT_URI


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "accounts.sqlite3")
    yield opened
    await opened.close()


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("me", "password123"),
        ("ME", "password123"),
        ("bad name", "password123"),
        ("-dash", "password123"),
        ("x" * 65, "password123"),
        ("carol", "short"),
    ],
)
async def test_bad_users_are_refused(store: Store, name: str, password: str) -> None:
    with pytest.raises(AccountError):
        await add_user(store, name, password)
    assert await store.list_users() == []


@pytest.mark.parametrize(
    "uri",
    [
        "http://a.example/cb",
        "https://a.example/cb#x",
        "https://u@a.example/cb",
        "/cb",
        "https:///cb",
        "javascript:alert(1)",
        CHATGPT_URI + " x",
        "https://a.example/\x00",
    ],
)
async def test_bad_redirect_uris_are_refused(store: Store, uri: str) -> None:
    with pytest.raises(AccountError):
        await add_client(store, [uri], False)
    assert await store.list_oauth_clients() == []


async def test_a_client_needs_somewhere_to_redirect(store: Store) -> None:
    with pytest.raises(AccountError):
        await add_client(store, [], False)


@pytest.mark.parametrize(
    "uri", ["http://localhost:8000/cb", "http://127.0.0.1/cb", "http://[::1]:9/cb"]
)
async def test_loopback_http_is_allowed(store: Store, uri: str) -> None:
    made = await add_client(store, [uri], False)
    assert made.client.redirect_uris == (uri,)


async def test_keys_need_a_user(store: Store) -> None:
    with pytest.raises(AccountError):
        await create_key(store, "nobody")


def test_password_hashes_are_salted_scrypt() -> None:
    first, second = hash_password("pw-123456"), hash_password("pw-123456")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password("pw-123456", first) and not verify_password("pw-123457", first)
    assert not verify_password("pw-123456", "garbage")
