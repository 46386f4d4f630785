"""Auth mode ``user_http``: each user's own key names the user.

Keys are looked up by their SHA-256 digest, so the database compares digests, never keys, and a
key that is not in it costs one indexed lookup per reading of the header.

With the authorization server on (``PLUGIN_USER_HTTP_OAUTH``), a Bearer value that is no key
may be an access token our server issued to the same account: ChatGPT's and Claude's connectors
sign in with OAuth and cannot send a key. Which resource the token was minted for is checked
where the resource is known (``/mcp`` in ``plugin.mcp.endpoint``, the API in ``rfc8707``).
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.datastructures import Headers

from ..errors import Unauthorized
from ..storage import Store
from .base import Identity, credentials, unauthorized
from .bearer import AccessTokens
from .tokens import digest

__all__ = ["KeysOrTokens", "UserKeys"]


class UserKeys:
    """A user's API key, in the configured scheme or the custom header, names the user."""

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


class KeysOrTokens:
    """A user's key, else an OAuth access token of ours in ``Authorization: Bearer``."""

    def __init__(self, keys: UserKeys, tokens: AccessTokens, scheme: str) -> None:
        self._keys = keys
        self._tokens = tokens
        self._scheme = scheme

    async def authenticate(self, headers: Headers) -> Identity:
        try:
            return await self._keys.authenticate(headers)
        except Unauthorized:
            if next(credentials(headers, "bearer"), None) is None:
                raise
        try:
            return await self._tokens.authenticate(headers)
        except Unauthorized:
            pass
        refused = unauthorized(self._scheme, "Invalid or revoked API key or access token.")
        if self._scheme == "bearer":  # RFC 6750 3.1: a client holding a token learns it died
            refused.headers["WWW-Authenticate"] += ', error="invalid_token"'
        raise refused
