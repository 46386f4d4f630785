"""The one storage interface every handler goes through.

Handlers never see SQL: they call a :class:`Store`, and every method takes the owner first so
per-user isolation lives in this layer. SQLite (aiosqlite) is the embedded default.
"""

from __future__ import annotations

from pathlib import Path

from .base import Store, Todo
from .migrations import SchemaTooNewError
from .sqlite import SQLiteStore

__all__ = ["SchemaTooNewError", "Store", "Todo", "open_store"]


async def open_store(database: Path) -> Store:
    """Open (and migrate) the configured database."""
    return await SQLiteStore.open(database)
