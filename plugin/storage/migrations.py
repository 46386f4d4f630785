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
