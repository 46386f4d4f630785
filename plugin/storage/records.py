"""The account and OAuth records the store keeps, independent of any database.

Secrets never appear here in the clear: keys, client secrets, codes and tokens are stored as
their SHA-256 digests and passwords as scrypt hashes, so a copy of the database grants nothing.
Times are Unix seconds (integers) so expiry compares the same way in every database.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ApiKey",
    "Attempts",
    "AuthorizationCode",
    "Grant",
    "IssuedToken",
    "OAuthClient",
    "StoredToken",
    "UnusedClients",
    "User",
]


@dataclass(frozen=True, slots=True)
class User:
    name: str
    password_hash: str
    created_at: int


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A ``user_http`` key as listed: never the key, only its id, prefix and dates."""

    id: str
    user: str
    prefix: str
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    secret_hash: str
    redirect_uris: tuple[str, ...]
    chatgpt_callback: bool
    created_at: int
    # Added by schema version 3 (MCP): patterns of known MCP callbacks this client may use
    # (``chatgpt-connector``, ``claude``); a public client (RFC 7591 ``none``) has no usable
    # secret and must use PKCE, as must a client that registered itself.
    redirect_presets: tuple[str, ...] = ()
    public: bool = False
    dynamic: bool = False


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """A code as issued; ``grant_id`` is set once it has been exchanged."""

    code_hash: str
    client_id: str
    user: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    expires_at: int
    grant_id: str | None = None
    resource: str | None = None  # RFC 8707: the audience the tokens will be bound to


@dataclass(frozen=True, slots=True)
class Grant:
    """One authorization: every token issued from one code (a refresh token family)."""

    id: str
    client_id: str
    user: str
    scope: str
    created_at: int
    resource: str | None = None  # RFC 8707 audience; None for the plugin flow (the API)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_hash: str
    kind: str  # "access" or "refresh"
    expires_at: int


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token looked up by its digest, with the grant it belongs to."""

    token_hash: str
    kind: str
    expires_at: int
    rotated: bool
    grant: Grant


@dataclass(frozen=True, slots=True)
class Attempts:
    """One subject's attempts in a window: how many, when the first and the last were."""

    count: int
    oldest: int
    newest: int


@dataclass(frozen=True, slots=True)
class UnusedClients:
    """How many self-registered clients nobody has signed in with are kept, and for how long."""

    per_address: int  # registered from one address; its oldest go first
    overall: int  # from every address; the oldest go first
    lifetime: int  # seconds
