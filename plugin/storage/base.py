"""The storage interface and the records it returns, independent of any database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from .records import (
    ApiKey,
    Attempts,
    AuthorizationCode,
    Grant,
    IssuedToken,
    OAuthClient,
    StoredToken,
    UnusedClients,
    User,
)

if TYPE_CHECKING:  # database.py runs queries.py's operations, which return these records
    from .database import Database

__all__ = ["DatabaseBusyError", "Store"]


class DatabaseBusyError(Exception):
    """Another connection held a lock this operation needed for the whole busy timeout.

    Nothing of the operation was written; it may be tried again once the lock is released.
    """


class Store(Protocol):
    """What the server asks of a database; every query is scoped to one owner or account."""

    @property
    def database(self) -> Database:
        """The handle a plugin's handlers get: their own SQL, run as the store runs its own."""

    # Accounts and their credentials. Times are Unix seconds passed in by the caller, so the
    # OAuth server's clock (injectable in tests) is the only clock that decides expiry.

    async def add_user(self, user: User) -> bool:
        """Create an account; False if the name is taken."""

    async def get_user(self, name: str) -> User | None: ...

    async def list_users(self) -> list[User]: ...

    async def set_password(self, name: str, password_hash: str) -> int | None:
        """Replace a user's password hash and, in the same transaction, revoke every grant they
        gave (as :meth:`revoke_grants`): how many, or None if there is no such user."""

    async def remove_user(self, name: str) -> bool:
        """Delete the account, its keys, codes and tokens, and its rows in every table with an
        ``owner`` column (a plugin's); False if there was none."""

    async def add_api_key(self, key: ApiKey, key_hash: str) -> bool:
        """Store a key's digest; False if its user does not exist."""

    async def list_api_keys(self, user: str) -> list[ApiKey]: ...

    async def revoke_api_keys(self, user: str, key_id: str | None, now: int) -> int:
        """Revoke one key of ``user`` (or all with None); how many were revoked."""

    async def user_for_api_key(self, key_hash: str) -> str | None:
        """The owner of a live (not revoked) key with this digest."""

    async def add_oauth_client(self, client: OAuthClient) -> bool:
        """Register a client; False if the id is taken."""

    async def add_dynamic_client(
        self, client: OAuthClient, address: str, now: int, unused: UnusedClients
    ) -> bool:
        """Register a self-registered client from ``address``; False if the id is taken.

        Clients no code was ever issued to are kept within ``unused``: those older than its
        lifetime go, then the oldest past its count for this address, then past its count
        overall, so registrations cannot fill the database.
        """

    async def get_oauth_client(self, client_id: str) -> OAuthClient | None: ...

    async def list_oauth_clients(self) -> list[OAuthClient]: ...

    async def remove_oauth_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens; False if there was none."""

    async def add_authorization_code(self, code: AuthorizationCode, now: int) -> bool:
        """Store a code (and forget codes that expired long ago) and mark its client used;
        False, with nothing stored, if the client is gone."""

    async def get_authorization_code(self, code_hash: str) -> AuthorizationCode | None: ...

    async def redeem_authorization_code(
        self, code_hash: str, grant: Grant, tokens: Sequence[IssuedToken]
    ) -> bool:
        """Atomically mark the code used and issue ``tokens`` under ``grant``.

        False, with nothing issued, if the code was already used: of any number of concurrent
        exchanges of one code exactly one succeeds.
        """

    async def get_token(self, token_hash: str) -> StoredToken | None: ...

    async def rotate_refresh_token(
        self, token_hash: str, tokens: Sequence[IssuedToken], now: int
    ) -> bool:
        """Atomically retire a refresh token and issue ``tokens`` in its grant.

        False, with nothing issued, if the token was already rotated (a replay).
        """

    async def revoke_grants(self, user: str, client_id: str | None) -> int:
        """Delete the grants ``user`` gave (to one client, or to all with None) with their
        tokens, and their authorization codes; how many, a code not yet exchanged counting as
        one (RFC 6749 calls it an authorization grant too)."""

    async def revoke_grant(self, grant_id: str) -> None:
        """Delete a grant and every token issued under it (the whole family)."""

    async def revoke_token(self, token_hash: str) -> None:
        """Delete one token."""

    async def record_signin_failure(self, subjects: Sequence[str], now: int, window: int) -> None:
        """Count one attempt against each subject (a failed sign-in's account, address and pair;
        a registration's address), forgetting attempts older than ``window``."""

    async def signin_failures(self, subjects: Sequence[str], since: int) -> dict[str, Attempts]:
        """The failures of each subject since ``since``; a subject with none is left out."""

    async def ping(self) -> None:
        """Raise if the database cannot answer."""

    async def close(self) -> None:
        """Finish every queued write, then release the database."""
