"""The identity a request carries and the interface every auth mode implements."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from werkzeug.datastructures import Headers

from ..errors import Unauthorized

__all__ = [
    "Authenticator",
    "Identity",
    "credentials",
    "digest_equals",
    "secret_digest",
    "secrets_equal",
    "unauthorized",
]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling.

    ``user`` is None when the credential does not name a user (modes ``none`` and
    ``service_http``); when it is set, the credential alone decides whose data is reached
    (``plugin.operations.Caller.owner_for``). ``token`` says the credential was an OAuth access
    token (not a key), and ``audience`` is the RFC 8707 resource it was minted for (None for a
    token minted without one, and for every other credential).
    """

    user: str | None = None
    audience: str | None = None
    token: bool = False


class Authenticator(Protocol):
    async def authenticate(self, headers: Headers) -> Identity:
        """Return the caller's identity or raise :class:`Unauthorized`."""


def secret_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def digest_equals(given: str, expected_digest: bytes) -> bool:
    """Constant-time comparison with a :func:`secret_digest`; comparing digests of equal
    length also hides the secret's length."""
    return hmac.compare_digest(secret_digest(given), expected_digest)


def secrets_equal(given: str, expected: str) -> bool:
    return digest_equals(given, secret_digest(expected))


def unauthorized(scheme: str, description: str) -> Unauthorized:
    return Unauthorized(
        description, headers={"WWW-Authenticate": f'{scheme.capitalize()} realm="plugin"'}
    )


def credentials(headers: Headers, scheme: str, api_key_header: str = "") -> Iterator[str]:
    """The secrets an ``Authorization: <scheme> <value>`` header may carry.

    With Basic, ChatGPT sends whatever the user pasted: the bare key, base64 of the key, or
    base64 of ``user:key``. Each reading is offered so one of them can match. GPT Actions may
    instead send the key in a custom header (``PLUGIN_API_KEY_HEADER``), taken as it is.
    """
    if api_key_header:
        custom = headers.get(api_key_header, "").strip()
        if custom:
            yield custom
    header = headers.get("Authorization", "")
    given_scheme, _, value = header.partition(" ")
    value = value.strip()
    if given_scheme.lower() != scheme or not value:
        return
    yield value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return
        yield decoded
        if ":" in decoded:
            yield decoded.partition(":")[2]
