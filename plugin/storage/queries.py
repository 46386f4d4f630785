"""Every storage operation, written once for both databases.

The two stores drive their databases in ways that cannot share a call stack: SQLite runs a whole
batch of writes synchronously on its writer thread in one hop (sqlite.py), PostgreSQL awaits
asyncpg with each write in its own transaction (postgres.py). So an operation here does no I/O:
it is a generator that yields each statement as a :class:`Query` and is sent back the rows it
returned, and each store has a few-line runner for its driver. The SQL, and the logic around it
that must never differ between the databases, is then written once: the single-use guarantees
(a code redeemed once, a refresh token rotated once) are conditional ``UPDATE ... RETURNING``
statements, so whichever write reaches the database first wins and the rest find nothing to
update; revoking a grant deletes its whole token family (``ON DELETE CASCADE``).

The SQL is what both dialects accept: ``?`` placeholders (renumbered for PostgreSQL), and a
``CAST`` wherever PostgreSQL could not infer a parameter's type from the statement alone.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

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

__all__ = ["Dialect", "Done", "Operation", "Query", "Row", "advance"]

T = TypeVar("T")
Y = TypeVar("Y")  # what an operation yields: a Query here, a Query or a Lock in database.py
Row = tuple[Any, ...]


class Query(NamedTuple):
    sql: str
    parameters: Sequence[Any] = ()
    many: bool = False  # ``parameters`` is a list of parameter rows, run as one executemany


Operation = Generator[Query, list[Row], T]


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    result: T


def advance(operation: Generator[Y, list[Row], T], rows: list[Row] | None) -> Y | Done[T]:
    """The operation's next statement, sent the rows of the last one (None to start); or its end.

    A runner is then ``step = advance(op, None)``, then ``while isinstance(step, Query): step =
    advance(op, execute(step))``, whether its ``execute`` is synchronous or awaited.
    """
    try:
        return next(operation) if rows is None else operation.send(rows)
    except StopIteration as stop:
        return Done(stop.value)


def single(query: Query) -> Operation[list[Row]]:
    """One statement; the rows it returned."""
    rows = yield query
    return rows


def _same(text: str) -> str:
    return text


class Dialect(NamedTuple):
    """What operations, and a plugin's SQL run through database.py, must do differently in one
    database."""

    name: str = "sqlite"
    escapes_text: bool = False  # stored_text and read_text are not the identity
    stored_text: Callable[[str], str] = _same  # any text as the database can hold it
    read_text: Callable[[str], str] = _same  # and back
    # The tables with an ``owner`` column, one name a row: a user's rows, removed with them.
    owner_tables: str = (
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
        "WHERE m.type = 'table' AND c.name = 'owner'"
    )
    # Takes a transaction's ``Lock(key)`` (parameter: the key) where writers run concurrently;
    # None where one writer runs every write.
    owner_lock: str | None = None


KEY_COLUMNS = "id, user_name, prefix, created_at, revoked_at"
CLIENT_COLUMNS = (
    "client_id, secret_hash, redirect_uris, chatgpt_callback, created_at, "
    "redirect_presets, is_public, dynamic"
)
CODE_COLUMNS = (
    "code_hash, client_id, user_name, redirect_uri, scope, code_challenge, expires_at, grant_id, "
    "resource"
)
USER_COLUMNS = "name, password_hash, created_at"
# Used codes are kept this long past expiry so a replay is recognised and its grant revoked.
CODE_MEMORY = 24 * 3600
# A self-registered client no code was ever issued to (the partial indexes' condition, verbatim).
UNUSED_CLIENT = "dynamic = 1 AND used_at IS NULL"
# Unused clients of one address dropped per registration: each adds one, so one is the usual
# case; a lowered setting is caught up with over a few registrations.
PRUNE_BATCH = 100


def _user(row: Row) -> User:
    return User(name=row[0], password_hash=row[1], created_at=row[2])


def _key(row: Row) -> ApiKey:
    return ApiKey(id=row[0], user=row[1], prefix=row[2], created_at=row[3], revoked_at=row[4])


def _client(row: Row) -> OAuthClient:
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


def _insert_tokens(grant_id: str, tokens: Sequence[IssuedToken]) -> Query:
    return Query(
        "INSERT INTO oauth_tokens (token_hash, grant_id, kind, expires_at) VALUES (?, ?, ?, ?)",
        [(token.token_hash, grant_id, token.kind, token.expires_at) for token in tokens],
        many=True,
    )


# users


def add_user(user: User) -> Operation[bool]:
    touched = yield Query(
        """INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)
        ON CONFLICT (name) DO NOTHING RETURNING name""",
        (user.name, user.password_hash, user.created_at),
    )
    return bool(touched)


def get_user(name: str) -> Operation[User | None]:
    rows = yield Query(f"SELECT {USER_COLUMNS} FROM users WHERE name = ?", (name,))
    return _user(rows[0]) if rows else None


def list_users() -> Operation[list[User]]:
    rows = yield Query(f"SELECT {USER_COLUMNS} FROM users ORDER BY name")
    return [_user(row) for row in rows]


def set_password(name: str, password_hash: str) -> Operation[int | None]:
    touched = yield Query(
        "UPDATE users SET password_hash = ? WHERE name = ? RETURNING name",
        (password_hash, name),
    )
    if not touched:
        return None
    return (yield from revoke_grants(name, None))


def remove_user(dialect: Dialect, name: str) -> Operation[bool]:
    """The account, and the user's rows in every table with an ``owner`` column: that is how a
    plugin's tables say whose each row is (docs/your-own-api.md). No account, nothing erased:
    a mistyped name must not take a list some caller keeps under that name."""
    removed = yield Query("DELETE FROM users WHERE name = ? RETURNING name", (name,))
    if not removed:
        return False
    tables = yield Query(dialect.owner_tables)
    for (table,) in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        yield Query(f"DELETE FROM {quoted} WHERE owner = ?", (dialect.stored_text(name),))
    return True


# user_http keys


def add_api_key(key: ApiKey, key_hash: str) -> Operation[bool]:
    touched = yield Query(
        f"""INSERT INTO api_keys (id, user_name, prefix, key_hash, created_at)
        SELECT CAST(? AS TEXT), name, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT)
        FROM users WHERE name = ? RETURNING {KEY_COLUMNS}""",
        (key.id, key.prefix, key_hash, key.created_at, key.user),
    )
    return bool(touched)


def list_api_keys(user: str) -> Operation[list[ApiKey]]:
    rows = yield Query(
        f"SELECT {KEY_COLUMNS} FROM api_keys WHERE user_name = ? ORDER BY created_at, id",
        (user,),
    )
    return [_key(row) for row in rows]


def revoke_api_keys(user: str, key_id: str | None, now: int) -> Operation[int]:
    revoked = yield Query(
        """UPDATE api_keys SET revoked_at = ?
        WHERE user_name = ? AND revoked_at IS NULL AND (CAST(? AS TEXT) IS NULL OR id = ?)
        RETURNING id""",
        (now, user, key_id, key_id),
    )
    return len(revoked)


def user_for_api_key(key_hash: str) -> Operation[str | None]:
    rows = yield Query(
        "SELECT user_name FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
    )
    return str(rows[0][0]) if rows else None


# OAuth clients


def _client_row(client: OAuthClient) -> Row:
    return (
        client.client_id,
        client.secret_hash,
        " ".join(client.redirect_uris),
        int(client.chatgpt_callback),
        client.created_at,
        " ".join(client.redirect_presets),
        int(client.public),
        int(client.dynamic),
    )


def add_oauth_client(client: OAuthClient) -> Operation[bool]:
    touched = yield Query(
        f"""INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (client_id) DO NOTHING RETURNING client_id""",
        _client_row(client),
    )
    return bool(touched)


def add_dynamic_client(
    client: OAuthClient, address: str, now: int, unused: UnusedClients
) -> Operation[bool]:
    """Register a client from ``address``, first dropping unused clients past their bounds.

    The bound overall is kept by numbering registrations: an unused client is dropped once
    ``unused.overall`` have been numbered after it, an index range, where counting the unused
    clients would read them all on every registration. On PostgreSQL two concurrent
    registrations may share a number, which lets the bound slip by as many.
    """
    yield Query(
        f"DELETE FROM oauth_clients WHERE {UNUSED_CLIENT} AND created_at < ?",
        (now - unused.lifetime,),
    )
    ((last,),) = yield Query(f"SELECT max(registration) FROM oauth_clients WHERE {UNUSED_CLIENT}")
    number = (last or 0) + 1
    yield Query(
        f"DELETE FROM oauth_clients WHERE {UNUSED_CLIENT} AND registration <= ?",
        (number - unused.overall,),
    )
    # One address's unused clients are few enough to read: keep its newest.
    yield Query(
        f"""DELETE FROM oauth_clients WHERE client_id IN (
            SELECT client_id FROM oauth_clients WHERE {UNUSED_CLIENT} AND registered_from = ?
            ORDER BY registration DESC LIMIT ? OFFSET ?
        )""",
        (address, PRUNE_BATCH, unused.per_address - 1),
    )
    touched = yield Query(
        f"""INSERT INTO oauth_clients ({CLIENT_COLUMNS}, registered_from, registration)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (client_id) DO NOTHING RETURNING client_id""",
        (*_client_row(client), address, number),
    )
    return bool(touched)


def get_oauth_client(client_id: str) -> Operation[OAuthClient | None]:
    rows = yield Query(
        f"SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = ?", (client_id,)
    )
    return _client(rows[0]) if rows else None


def list_oauth_clients() -> Operation[list[OAuthClient]]:
    rows = yield Query(f"SELECT {CLIENT_COLUMNS} FROM oauth_clients ORDER BY created_at")
    return [_client(row) for row in rows]


def remove_oauth_client(client_id: str) -> Operation[bool]:
    touched = yield Query(
        "DELETE FROM oauth_clients WHERE client_id = ? RETURNING client_id", (client_id,)
    )
    return bool(touched)


# codes and tokens


def add_authorization_code(code: AuthorizationCode, now: int) -> Operation[bool]:
    yield Query("DELETE FROM oauth_codes WHERE expires_at < ?", (now - CODE_MEMORY,))
    # From the client's row, which an unused self-registered client may no longer have.
    added = yield Query(
        f"""INSERT INTO oauth_codes ({CODE_COLUMNS})
        SELECT CAST(? AS TEXT), client_id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
            CAST(? AS TEXT), CAST(? AS BIGINT), NULL, CAST(? AS TEXT)
        FROM oauth_clients WHERE client_id = ? RETURNING code_hash""",
        (
            code.code_hash,
            code.user,
            code.redirect_uri,
            code.scope,
            code.code_challenge,
            code.expires_at,
            code.resource,
            code.client_id,
        ),
    )
    if not added:
        return False
    yield Query(
        "UPDATE oauth_clients SET used_at = ? WHERE client_id = ? AND used_at IS NULL",
        (now, code.client_id),
    )
    return True


def get_authorization_code(code_hash: str) -> Operation[AuthorizationCode | None]:
    rows = yield Query(f"SELECT {CODE_COLUMNS} FROM oauth_codes WHERE code_hash = ?", (code_hash,))
    return AuthorizationCode(*rows[0]) if rows else None


def redeem_authorization_code(
    code_hash: str, grant: Grant, tokens: Sequence[IssuedToken]
) -> Operation[bool]:
    claimed = yield Query(
        """UPDATE oauth_codes SET grant_id = ?
        WHERE code_hash = ? AND grant_id IS NULL RETURNING code_hash""",
        (grant.id, code_hash),
    )
    if not claimed:
        return False
    yield Query(
        """INSERT INTO oauth_grants (id, client_id, user_name, scope, created_at, resource)
        VALUES (?, ?, ?, ?, ?, ?)""",
        (grant.id, grant.client_id, grant.user, grant.scope, grant.created_at, grant.resource),
    )
    yield _insert_tokens(grant.id, tokens)
    return True


def get_token(token_hash: str) -> Operation[StoredToken | None]:
    rows = yield Query(
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


def rotate_refresh_token(
    token_hash: str, tokens: Sequence[IssuedToken], now: int
) -> Operation[bool]:
    rows = yield Query(
        """UPDATE oauth_tokens SET rotated = 1
        WHERE token_hash = ? AND kind = 'refresh' AND rotated = 0
        RETURNING grant_id""",
        (token_hash,),
    )
    if not rows:
        return False
    yield Query("DELETE FROM oauth_tokens WHERE expires_at < ?", (now,))
    yield _insert_tokens(rows[0][0], tokens)
    return True


def revoke_grants(user: str, client_id: str | None) -> Operation[int]:
    # Codes before grants: on PostgreSQL an exchange of one of these codes that is under way
    # holds its row, so the first DELETE waits for it to commit, and the second then sees the
    # grant it made; the other way round that grant could be committed just after the DELETE.
    codes = yield Query(
        """DELETE FROM oauth_codes
        WHERE user_name = ? AND (CAST(? AS TEXT) IS NULL OR client_id = ?) RETURNING grant_id""",
        (user, client_id, client_id),
    )
    grants = yield Query(
        """DELETE FROM oauth_grants
        WHERE user_name = ? AND (CAST(? AS TEXT) IS NULL OR client_id = ?) RETURNING id""",
        (user, client_id, client_id),
    )
    return len(grants) + sum(1 for (grant_id,) in codes if grant_id is None)


def revoke_grant(grant_id: str) -> Operation[None]:
    yield Query("DELETE FROM oauth_grants WHERE id = ?", (grant_id,))


def revoke_token(token_hash: str) -> Operation[None]:
    yield Query("DELETE FROM oauth_tokens WHERE token_hash = ?", (token_hash,))


# sign-in limits


def record_signin_failure(subjects: Sequence[str], now: int, window: int) -> Operation[None]:
    yield Query("DELETE FROM signin_failures WHERE failed_at < ?", (now - window,))
    yield Query(
        "INSERT INTO signin_failures (subject, failed_at) VALUES (?, ?)",
        [(subject, now) for subject in subjects],
        many=True,
    )


def signin_failures(subjects: Sequence[str], since: int) -> Operation[dict[str, Attempts]]:
    marks = ", ".join("?" * len(subjects))
    rows = yield Query(
        f"""SELECT subject, count(*), min(failed_at), max(failed_at) FROM signin_failures
        WHERE subject IN ({marks}) AND failed_at > ? GROUP BY subject""",
        (*subjects, since),
    )
    return {row[0]: Attempts(int(row[1]), int(row[2]), int(row[3])) for row in rows}


def ping() -> Operation[None]:
    yield Query("SELECT 1")
