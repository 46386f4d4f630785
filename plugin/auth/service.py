"""Auth mode ``service_http``: one secret that ChatGPT sends on every call."""

from __future__ import annotations

from werkzeug.datastructures import Headers

from .base import Identity, credentials, digest_equals, secret_digest, unauthorized
from .none import ANONYMOUS

__all__ = ["ServiceToken"]


class ServiceToken:
    def __init__(self, token: str, scheme: str, api_key_header: str = "") -> None:
        self._digest = secret_digest(token)  # hashed once: it is compared on every call
        self._scheme = scheme
        self._header = api_key_header

    async def authenticate(self, headers: Headers) -> Identity:
        # Check every reading so the time taken does not depend on which one matched.
        matched = False
        for candidate in credentials(headers, self._scheme, self._header):
            matched |= digest_equals(candidate, self._digest)
        if not matched:
            raise unauthorized(self._scheme, "Missing or invalid service token.")
        return ANONYMOUS
