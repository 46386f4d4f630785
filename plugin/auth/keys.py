"""Auth mode ``user_http``: each user's own key names the user.

Keys are looked up by their SHA-256 digest, so the database compares digests, never keys, and a
key that is not in it costs one indexed lookup per reading of the header.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.datastructures import Headers

from ..storage import Store
from .base import Identity, credentials, unauthorized
from .tokens import digest

__all__ = ["UserKeys"]


class UserKeys:
    def __init__(self, store: Callable[[], Store], scheme: str, api_key_header: str = "") -> None:
        self._store = store
        self._scheme = scheme
        self._header = api_key_header

    async def authenticate(self, headers: Headers) -> Identity:
        store = self._store()
        for candidate in credentials(headers, self._scheme, self._header):
            user = await store.user_for_api_key(digest(candidate))
            if user is not None:
                return Identity(user)
        raise unauthorized(self._scheme, "Missing, invalid or revoked API key.")
