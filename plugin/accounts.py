"""Creating and removing accounts and their credentials: what the admin commands do.

Each function returns the plaintext secret it made exactly once; only its digest (or, for a
password, its scrypt hash) reaches the store.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from .auth.passwords import hash_password
from .auth.tokens import digest, new_id, new_secret
from .oauth.clients import NewClient, new_client
from .oauth.redirect_uris import REDIRECT_PRESETS, registrable_redirect_uri
from .storage import Store
from .storage.records import ApiKey, User

__all__ = [
    "AccountError",
    "NewClient",
    "NewKey",
    "USERNAME",
    "add_client",
    "add_user",
    "create_key",
]

# The same rule the API applies to ``/todos/{username}``; ``me`` is the alias for the caller.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
RESERVED_NAMES = frozenset({"me"})
MIN_PASSWORD = 8
KEY_PREFIX_CHARS = 6


class AccountError(ValueError):
    """The admin asked for something impossible; the message says what."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


def _now() -> int:
    return int(time.time())


def check_username(name: str) -> None:
    if not USERNAME.fullmatch(name):
        raise AccountError(
            f"{name!r} is not a valid user name: 1 to 64 letters, digits or ._@+-, "
            "starting with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise AccountError(f"{name!r} is reserved: it means 'the caller' in the API")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


async def add_user(store: Store, name: str, password: str) -> User:
    check_username(name)
    check_password(password)
    user = User(
        name=name, password_hash=await asyncio.to_thread(hash_password, password), created_at=_now()
    )
    if not await store.add_user(user):
        raise AccountError(f"user {name!r} already exists")
    return user


async def create_key(store: Store, user: str) -> NewKey:
    secret = new_secret()
    key = ApiKey(
        id=new_id(),
        user=user,
        prefix=secret[:KEY_PREFIX_CHARS],
        created_at=_now(),
        revoked_at=None,
    )
    if not await store.add_api_key(key, digest(secret)):
        raise AccountError(f"no user {user!r}")
    return NewKey(key, secret)


async def add_client(
    store: Store,
    redirect_uris: list[str],
    chatgpt_callback: bool,
    presets: tuple[str, ...] = (),
) -> NewClient:
    """A confidential client, with exact redirect URIs and/or redirect presets."""
    if not redirect_uris and not chatgpt_callback and not presets:
        raise AccountError(
            "give at least one --redirect-uri, or --chatgpt-callback, --chatgpt-connector "
            "or --claude"
        )
    for uri in redirect_uris:
        problem = registrable_redirect_uri(uri)
        if problem is not None:
            raise AccountError(f"redirect URI {uri!r} {problem}")
    unknown = [name for name in presets if name not in REDIRECT_PRESETS]
    if unknown:
        raise AccountError(f"unknown redirect preset {unknown[0]!r}")
    made = new_client(redirect_uris, _now(), chatgpt_callback=chatgpt_callback, presets=presets)
    if not await store.add_oauth_client(made.client):
        raise AccountError("client id collision; try again")
    return made
