"""The schema's history: one numbered step per change, applied in order inside a transaction.

The version lives in a ``schema_version`` table (not ``PRAGMA user_version``) so the same history
can drive another database later. A database newer than this code refuses to open rather than
being used by code that does not know its tables.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SchemaTooNewError", "latest_version"]

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE todos (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                owner TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX todos_owner_id ON todos (owner, id)",
        ),
    ),
    (
        # Accounts, user_http keys and the OAuth authorization server. Secrets are stored as
        # digests; times are Unix seconds; booleans are 0/1 integers (portable SQL).
        2,
        (
            """CREATE TABLE users (
                name TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )""",
            """CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                prefix TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )""",
            "CREATE INDEX api_keys_user ON api_keys (user_name)",
            """CREATE TABLE oauth_clients (
                client_id TEXT PRIMARY KEY,
                secret_hash TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                chatgpt_callback INTEGER NOT NULL,
                created_at BIGINT NOT NULL
            )""",
            """CREATE TABLE oauth_codes (
                code_hash TEXT PRIMARY KEY,
                client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                redirect_uri TEXT NOT NULL,
                scope TEXT NOT NULL,
                code_challenge TEXT,
                expires_at BIGINT NOT NULL,
                grant_id TEXT
            )""",
            "CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at)",
            """CREATE TABLE oauth_grants (
                id TEXT PRIMARY KEY,
                client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                scope TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )""",
            """CREATE TABLE oauth_tokens (
                token_hash TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                rotated INTEGER NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id)",
            "CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at)",
            """CREATE TABLE signin_failures (
                subject TEXT NOT NULL,
                failed_at BIGINT NOT NULL
            )""",
            "CREATE INDEX signin_failures_subject ON signin_failures (subject, failed_at)",
        ),
    ),
    (
        # MCP authorization: redirect presets and dynamically registered (possibly public)
        # clients; the RFC 8707 resource (token audience) on codes and grants.
        3,
        (
            "ALTER TABLE oauth_clients ADD COLUMN redirect_presets TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE oauth_clients ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE oauth_clients ADD COLUMN dynamic INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE oauth_codes ADD COLUMN resource TEXT",
            "ALTER TABLE oauth_grants ADD COLUMN resource TEXT",
        ),
    ),
)


def latest_version() -> int:
    return MIGRATIONS[-1][0]


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release of this server."""

    def __init__(self, found: int) -> None:
        super().__init__(
            f"database schema version {found} is newer than this server knows "
            f"({latest_version()}); upgrade the server"
        )
