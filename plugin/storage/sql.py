"""The PostgreSQL store's queries, written against aiosqlite's small async API.

The store supplies ``_reader`` (reads) and ``_committer`` (each write operation runs in its own
transaction on a pooled connection), both through an adapter that renumbers the ``?``
placeholders. The SQL is the SQLite store's (``sqlite_accounts.py``), whose write operations are
synchronous functions run on its writer thread a batch at a time, so the two cannot share code.
Every write commits before it returns. The single-use guarantees (a code redeemed once, a
refresh token rotated once) are conditional ``UPDATE ... RETURNING`` statements: whichever write
reaches the database first wins and the rest find nothing to update; under READ COMMITTED the
loser re-checks the row after the winner commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from .base import Todo
from .records import (
    ApiKey,
    AuthorizationCode,
    Grant,
    IssuedToken,
    OAuthClient,
    StoredToken,
    User,
)

__all__ = ["Connection", "Operation", "SQLStore", "TODO_COLUMNS"]


class Connection(Protocol):
    """The part of aiosqlite's connection these queries use."""

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any: ...

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> Any: ...

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> Any: ...


Operation = Callable[[Connection], Awaitable[Any]]
TODO_COLUMNS = "id, text, created_at"
KEY_COLUMNS = "id, user_name, prefix, created_at, revoked_at"
CLIENT_COLUMNS = (
    "client_id, secret_hash, redirect_uris, chatgpt_callback, created_at, "
    "redirect_presets, is_public, dynamic"
)
CODE_COLUMNS = (
    "code_hash, client_id, user_name, redirect_uri, scope, code_challenge, expires_at, grant_id, "
    "resource"
)
# Used codes are kept this long past expiry so a replay is recognised and its grant revoked.
CODE_MEMORY = 24 * 3600


class _Committer(Protocol):
    async def submit(self, operation: Operation) -> Any: ...

    async def close(self) -> None: ...


def _user(row: Any) -> User:
    return User(name=row[0], password_hash=row[1], created_at=row[2])


def _key(row: Any) -> ApiKey:
    return ApiKey(id=row[0], user=row[1], prefix=row[2], created_at=row[3], revoked_at=row[4])


def _client(row: Any) -> OAuthClient:
    return OAuthClient(
        client_id=row[0],
        secret_hash=row[1],
        redirect_uris=tuple(row[2].split()),
        chatgpt_callback=bool(row[3]),
        created_at=row[4],
        redirect_presets=tuple(row[5].split()),
        public=bool(row[6]),
        dynamic=bool(row[7]),
    )


async def _changed(connection: Connection, sql: str, parameters: Sequence[Any]) -> int:
    """Run a statement ending in ``RETURNING``; how many rows it touched."""
    return len(list(await connection.execute_fetchall(sql, parameters)))


async def _insert_tokens(
    connection: Connection, grant_id: str, tokens: Sequence[IssuedToken]
) -> None:
    await connection.executemany(
        "INSERT INTO oauth_tokens (token_hash, grant_id, kind, expires_at) VALUES (?, ?, ?, ?)",
        [(token.token_hash, grant_id, token.kind, token.expires_at) for token in tokens],
    )


class SQLStore:
    _reader: Connection
    _committer: _Committer

    async def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        return list(await self._reader.execute_fetchall(sql, parameters))

    async def _write(self, sql: str, parameters: Sequence[Any]) -> int:
        async def run(connection: Connection) -> int:
            return await _changed(connection, sql, parameters)

        changed: int = await self._committer.submit(run)
        return changed

    # todos

    def _stored_text(self, text: str) -> str:
        """A todo's text as the database keeps it (PostgreSQL escapes what TEXT cannot hold)."""
        return text

    def _todo(self, row: Any) -> Todo:
        return Todo(id=row[0], text=row[1], created_at=row[2])

    def _first_todo(self, rows: Any) -> Todo | None:
        rows = list(rows)
        return self._todo(rows[0]) if rows else None

    async def list_todos(self, owner: str, limit: int, offset: int) -> list[Todo]:
        rows = await self._rows(
            f"SELECT {TODO_COLUMNS} FROM todos WHERE owner = ? ORDER BY id LIMIT ? OFFSET ?",
            (owner, limit, offset),
        )
        return [self._todo(row) for row in rows]

    async def add_todo(self, owner: str, text: str) -> Todo:
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        async def insert(connection: Connection) -> Todo:
            rows = await connection.execute_fetchall(
                "INSERT INTO todos (owner, text, created_at) VALUES (?, ?, ?) RETURNING id",
                (owner, self._stored_text(text), created_at),
            )
            return Todo(id=list(rows)[0][0], text=text, created_at=created_at)

        result: Todo = await self._committer.submit(insert)
        return result

    async def delete_todo_at(self, owner: str, index: int) -> Todo | None:
        async def delete(connection: Connection) -> Todo | None:
            await self._lock_owner(connection, owner)
            return self._first_todo(
                await connection.execute_fetchall(
                    f"""DELETE FROM todos WHERE id = (
                        SELECT id FROM todos WHERE owner = ? ORDER BY id LIMIT 1 OFFSET ?
                    ) RETURNING {TODO_COLUMNS}""",
                    (owner, index),
                )
            )

        result: Todo | None = await self._committer.submit(delete)
        return result

    async def _lock_owner(self, connection: Connection, owner: str) -> None:
        """Serialise index-based deletes of one owner where writers run concurrently."""

    async def delete_todo(self, owner: str, todo_id: int) -> Todo | None:
        async def delete(connection: Connection) -> Todo | None:
            return self._first_todo(
                await connection.execute_fetchall(
                    f"DELETE FROM todos WHERE owner = ? AND id = ? RETURNING {TODO_COLUMNS}",
                    (owner, todo_id),
                )
            )

        result: Todo | None = await self._committer.submit(delete)
        return result

    async def ping(self) -> None:
        await self._rows("SELECT 1")

    # users

    async def add_user(self, user: User) -> bool:
        return bool(
            await self._write(
                """INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO NOTHING RETURNING name""",
                (user.name, user.password_hash, user.created_at),
            )
        )

    async def get_user(self, name: str) -> User | None:
        rows = await self._rows(
            "SELECT name, password_hash, created_at FROM users WHERE name = ?", (name,)
        )
        return _user(rows[0]) if rows else None

    async def list_users(self) -> list[User]:
        rows = await self._rows("SELECT name, password_hash, created_at FROM users ORDER BY name")
        return [_user(row) for row in rows]

    async def set_password(self, name: str, password_hash: str) -> bool:
        return bool(
            await self._write(
                "UPDATE users SET password_hash = ? WHERE name = ? RETURNING name",
                (password_hash, name),
            )
        )

    async def remove_user(self, name: str) -> bool:
        async def remove(connection: Connection) -> int:
            await connection.execute("DELETE FROM todos WHERE owner = ?", (name,))
            return await _changed(
                connection, "DELETE FROM users WHERE name = ? RETURNING name", (name,)
            )

        return bool(await self._committer.submit(remove))

    # user_http keys

    async def add_api_key(self, key: ApiKey, key_hash: str) -> bool:
        return bool(
            await self._write(
                f"""INSERT INTO api_keys (id, user_name, prefix, key_hash, created_at)
                SELECT CAST(? AS TEXT), name, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT)
                FROM users WHERE name = ? RETURNING {KEY_COLUMNS}""",
                (key.id, key.prefix, key_hash, key.created_at, key.user),
            )
        )

    async def list_api_keys(self, user: str) -> list[ApiKey]:
        rows = await self._rows(
            f"SELECT {KEY_COLUMNS} FROM api_keys WHERE user_name = ? ORDER BY created_at, id",
            (user,),
        )
        return [_key(row) for row in rows]

    async def revoke_api_keys(self, user: str, key_id: str | None, now: int) -> int:
        return await self._write(
            """UPDATE api_keys SET revoked_at = ?
            WHERE user_name = ? AND revoked_at IS NULL AND (CAST(? AS TEXT) IS NULL OR id = ?)
            RETURNING id""",
            (now, user, key_id, key_id),
        )

    async def user_for_api_key(self, key_hash: str) -> str | None:
        rows = await self._rows(
            "SELECT user_name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            (key_hash,),
        )
        return str(rows[0][0]) if rows else None

    # OAuth clients

    async def add_oauth_client(self, client: OAuthClient) -> bool:
        return bool(
            await self._write(
                f"""INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (client_id) DO NOTHING RETURNING client_id""",
                (
                    client.client_id,
                    client.secret_hash,
                    " ".join(client.redirect_uris),
                    int(client.chatgpt_callback),
                    client.created_at,
                    " ".join(client.redirect_presets),
                    int(client.public),
                    int(client.dynamic),
                ),
            )
        )

    async def get_oauth_client(self, client_id: str) -> OAuthClient | None:
        rows = await self._rows(
            f"SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = ?", (client_id,)
        )
        return _client(rows[0]) if rows else None

    async def list_oauth_clients(self) -> list[OAuthClient]:
        rows = await self._rows(f"SELECT {CLIENT_COLUMNS} FROM oauth_clients ORDER BY created_at")
        return [_client(row) for row in rows]

    async def remove_oauth_client(self, client_id: str) -> bool:
        return bool(
            await self._write(
                "DELETE FROM oauth_clients WHERE client_id = ? RETURNING client_id", (client_id,)
            )
        )

    # codes and tokens

    async def add_authorization_code(self, code: AuthorizationCode, now: int) -> None:
        async def insert(connection: Connection) -> None:
            await connection.execute(
                "DELETE FROM oauth_codes WHERE expires_at < ?", (now - CODE_MEMORY,)
            )
            await connection.execute(
                f"INSERT INTO oauth_codes ({CODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    code.code_hash,
                    code.client_id,
                    code.user,
                    code.redirect_uri,
                    code.scope,
                    code.code_challenge,
                    code.expires_at,
                    code.resource,
                ),
            )

        await self._committer.submit(insert)

    async def get_authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        rows = await self._rows(
            f"SELECT {CODE_COLUMNS} FROM oauth_codes WHERE code_hash = ?", (code_hash,)
        )
        return AuthorizationCode(*rows[0]) if rows else None

    async def redeem_authorization_code(
        self, code_hash: str, grant: Grant, tokens: Sequence[IssuedToken]
    ) -> bool:
        async def redeem(connection: Connection) -> bool:
            claimed = await _changed(
                connection,
                """UPDATE oauth_codes SET grant_id = ?
                WHERE code_hash = ? AND grant_id IS NULL RETURNING code_hash""",
                (grant.id, code_hash),
            )
            if not claimed:
                return False
            await connection.execute(
                """INSERT INTO oauth_grants (id, client_id, user_name, scope, created_at, resource)
                VALUES (?, ?, ?, ?, ?, ?)""",
                (
                    grant.id,
                    grant.client_id,
                    grant.user,
                    grant.scope,
                    grant.created_at,
                    grant.resource,
                ),
            )
            await _insert_tokens(connection, grant.id, tokens)
            return True

        redeemed: bool = await self._committer.submit(redeem)
        return redeemed

    async def get_token(self, token_hash: str) -> StoredToken | None:
        rows = await self._rows(
            """SELECT t.token_hash, t.kind, t.expires_at, t.rotated,
                g.id, g.client_id, g.user_name, g.scope, g.created_at, g.resource
            FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id
            WHERE t.token_hash = ?""",
            (token_hash,),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredToken(
            token_hash=row[0],
            kind=row[1],
            expires_at=row[2],
            rotated=bool(row[3]),
            grant=Grant(*row[4:10]),
        )

    async def rotate_refresh_token(
        self, token_hash: str, tokens: Sequence[IssuedToken], now: int
    ) -> bool:
        async def rotate(connection: Connection) -> bool:
            rows = list(
                await connection.execute_fetchall(
                    """UPDATE oauth_tokens SET rotated = 1
                    WHERE token_hash = ? AND kind = 'refresh' AND rotated = 0
                    RETURNING grant_id""",
                    (token_hash,),
                )
            )
            if not rows:
                return False
            await connection.execute("DELETE FROM oauth_tokens WHERE expires_at < ?", (now,))
            await _insert_tokens(connection, rows[0][0], tokens)
            return True

        rotated: bool = await self._committer.submit(rotate)
        return rotated

    async def revoke_grant(self, grant_id: str) -> None:
        await self._write("DELETE FROM oauth_grants WHERE id = ? RETURNING id", (grant_id,))

    async def revoke_token(self, token_hash: str) -> None:
        await self._write(
            "DELETE FROM oauth_tokens WHERE token_hash = ? RETURNING token_hash", (token_hash,)
        )

    # sign-in limits

    async def record_signin_failure(self, subjects: Sequence[str], now: int, window: int) -> None:
        async def record(connection: Connection) -> None:
            await connection.execute(
                "DELETE FROM signin_failures WHERE failed_at < ?", (now - window,)
            )
            await connection.executemany(
                "INSERT INTO signin_failures (subject, failed_at) VALUES (?, ?)",
                [(subject, now) for subject in subjects],
            )

        await self._committer.submit(record)

    async def signin_failures(self, subject: str, since: int) -> tuple[int, int | None]:
        rows = await self._rows(
            "SELECT count(*), min(failed_at) FROM signin_failures "
            "WHERE subject = ? AND failed_at > ?",
            (subject, since),
        )
        return int(rows[0][0]), rows[0][1]
