"""OAuth 2.0 errors as data (RFC 6749 sections 4.1.2.1 and 5.2).

Each error is an :class:`~plugin.errors.APIError`, so the token and revocation endpoints
render it in the one envelope, which is RFC 6749's own shape. The authorization endpoint
instead sends it back to the client's redirect URI with ``state``.
"""

from __future__ import annotations

from ..errors import APIError

__all__ = [
    "AccessDenied",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "OAuthError",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(APIError):
    status_code = 400
    error = "invalid_request"

    def __init__(self, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description, {**NO_STORE, **(headers or {})})


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    status_code = 401
    error = "invalid_client"


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class AccessDenied(OAuthError):
    status_code = 403
    error = "access_denied"
