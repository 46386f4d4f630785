"""Auth mode ``oauth``: an access token issued by our own authorization server (RFC 6750)."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.datastructures import Headers

from ..errors import Unauthorized
from ..storage import Store
from .base import Identity, credentials
from .tokens import digest

__all__ = ["AccessTokens", "Clock"]

Clock = Callable[[], float]


class AccessTokens:
    """An access token of ours, unexpired and unrevoked, names its grant's user."""

    def __init__(self, store: Callable[[], Store], clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def authenticate(self, headers: Headers) -> Identity:
        given = next(credentials(headers, "bearer"), None)
        if given is None:
            raise Unauthorized(
                "An OAuth access token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="plugin"'},
            )
        token = await self._store().get_token(digest(given))
        if token is None or token.kind != "access" or token.expires_at <= self._clock():
            raise Unauthorized(
                "The access token is invalid, expired or revoked.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="plugin", error="invalid_token", '
                    'error_description="The access token is invalid, expired or revoked"'
                },
            )
        return Identity(token.grant.user, token.grant.resource, token=True)
