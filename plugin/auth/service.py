"""Auth mode ``service_http``: one secret that ChatGPT sends on every call."""

from __future__ import annotations

from werkzeug.datastructures import Headers

from .base import Identity, credentials, secrets_equal, unauthorized
from .none import ANONYMOUS

__all__ = ["ServiceToken"]


class ServiceToken:
    def __init__(self, token: str, scheme: str, api_key_header: str = "") -> None:
        self._token = token
        self._scheme = scheme
        self._header = api_key_header

    async def authenticate(self, headers: Headers) -> Identity:
        # Check every reading so the time taken does not depend on which one matched.
        matched = False
        for candidate in credentials(headers, self._scheme, self._header):
            matched |= secrets_equal(candidate, self._token)
        if not matched:
            raise unauthorized(self._scheme, "Missing or invalid service token.")
        return ANONYMOUS
