"""The TODO list's table in a store opened without the app: the root plugin's own schema
(migrations/), written and read by its own handlers (handlers.py), so a test sees what the API
would serve. The caller is the ``none`` mode's: a path's name is the owner."""

from __future__ import annotations

from typing import Any

import handlers
from plugin.api import Caller, Database
from plugin.auth import Identity
from plugin.config import PROJECT_ROOT
from plugin.storage.plugin_migrations import load_schema

TODO_SCHEMA = load_schema(PROJECT_ROOT / "migrations", "todo")  # manifest.json's name_for_model
_NAMED_BY_PATH = Caller(Identity(), lambda: None)


async def add_todo(db: Database, owner: str, text: str) -> dict[str, Any]:
    """Add to ``owner``'s list as ``POST /todos/{owner}`` does; the stored item."""
    return await handlers.addTodo(owner, {"todo": text}, _NAMED_BY_PATH, db)


async def todo_items(db: Database, owner: str) -> list[dict[str, Any]]:
    """The items of ``owner``'s first page (``GET /todos/{owner}``): id, todo, created_at."""
    page = await handlers.getTodos(owner, 100, 0, _NAMED_BY_PATH, db)
    return list(page["items"])


async def todo_texts(db: Database, owner: str) -> list[str]:
    """The texts of ``owner``'s first page."""
    return [item["todo"] for item in await todo_items(db, owner)]
