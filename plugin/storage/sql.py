"""The :class:`~plugin.storage.base.Store` methods, the same for every SQL database.

Each method only picks its operation from queries.py and hands it to the store's ``_read`` or
``_write``, the one thing a database supplies: how to run an operation with its driver. A write
commits before ``_write`` returns. Both take the operation's function and its arguments rather
than a started generator, so a store may run a write again (SQLite replays a failed batch one
write at a time).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import ClassVar, ParamSpec, TypeVar

from . import queries
from .database import Database
from .queries import Dialect, Operation, Query, Row
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

__all__ = ["SQLStore"]

P = ParamSpec("P")
T = TypeVar("T")


class SQLStore(ABC):
    _dialect: ClassVar[Dialect] = Dialect()

    @abstractmethod
    async def _read(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a read-only operation."""

    @abstractmethod
    async def _write(
        self, operation: Callable[P, Operation[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run an operation in a transaction, committed (durably) before this returns."""

    async def _run_statement(self, query: Query, write: bool) -> list[Row]:
        """Run one statement (a write committed before this returns); the rows it returned."""
        if write:
            return await self._write(queries.single, query)
        return await self._read(queries.single, query)

    @cached_property
    def database(self) -> Database:
        """The handle a plugin's handlers get (database.py)."""
        return Database(self)

    async def ping(self) -> None:
        await self._read(queries.ping)

    # users

    async def add_user(self, user: User) -> bool:
        return await self._write(queries.add_user, user)

    async def get_user(self, name: str) -> User | None:
        return await self._read(queries.get_user, name)

    async def list_users(self) -> list[User]:
        return await self._read(queries.list_users)

    async def set_password(self, name: str, password_hash: str) -> int | None:
        return await self._write(queries.set_password, name, password_hash)

    async def remove_user(self, name: str) -> bool:
        return await self._write(queries.remove_user, self._dialect, name)

    # user_http keys

    async def add_api_key(self, key: ApiKey, key_hash: str) -> bool:
        return await self._write(queries.add_api_key, key, key_hash)

    async def list_api_keys(self, user: str) -> list[ApiKey]:
        return await self._read(queries.list_api_keys, user)

    async def revoke_api_keys(self, user: str, key_id: str | None, now: int) -> int:
        return await self._write(queries.revoke_api_keys, user, key_id, now)

    async def user_for_api_key(self, key_hash: str) -> str | None:
        return await self._read(queries.user_for_api_key, key_hash)

    # OAuth clients

    async def add_oauth_client(self, client: OAuthClient) -> bool:
        return await self._write(queries.add_oauth_client, client)

    async def add_dynamic_client(
        self, client: OAuthClient, address: str, now: int, unused: UnusedClients
    ) -> bool:
        return await self._write(queries.add_dynamic_client, client, address, now, unused)

    async def get_oauth_client(self, client_id: str) -> OAuthClient | None:
        return await self._read(queries.get_oauth_client, client_id)

    async def list_oauth_clients(self) -> list[OAuthClient]:
        return await self._read(queries.list_oauth_clients)

    async def remove_oauth_client(self, client_id: str) -> bool:
        return await self._write(queries.remove_oauth_client, client_id)

    # codes and tokens

    async def add_authorization_code(self, code: AuthorizationCode, now: int) -> bool:
        return await self._write(queries.add_authorization_code, code, now)

    async def get_authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        return await self._read(queries.get_authorization_code, code_hash)

    async def redeem_authorization_code(
        self, code_hash: str, grant: Grant, tokens: Sequence[IssuedToken]
    ) -> bool:
        return await self._write(queries.redeem_authorization_code, code_hash, grant, tokens)

    async def get_token(self, token_hash: str) -> StoredToken | None:
        return await self._read(queries.get_token, token_hash)

    async def rotate_refresh_token(
        self, token_hash: str, tokens: Sequence[IssuedToken], now: int
    ) -> bool:
        return await self._write(queries.rotate_refresh_token, token_hash, tokens, now)

    async def revoke_grants(self, user: str, client_id: str | None) -> int:
        return await self._write(queries.revoke_grants, user, client_id)

    async def revoke_grant(self, grant_id: str) -> None:
        await self._write(queries.revoke_grant, grant_id)

    async def revoke_token(self, token_hash: str) -> None:
        await self._write(queries.revoke_token, token_hash)

    # sign-in limits

    async def record_signin_failure(self, subjects: Sequence[str], now: int, window: int) -> None:
        await self._write(queries.record_signin_failure, subjects, now, window)

    async def signin_failures(self, subjects: Sequence[str], since: int) -> dict[str, Attempts]:
        return await self._read(queries.signin_failures, subjects, since)
