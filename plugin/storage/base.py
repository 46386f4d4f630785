"""The storage interface and the records it returns, independent of any database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Store", "Todo"]


@dataclass(frozen=True, slots=True)
class Todo:
    id: int
    text: str
    created_at: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "todo": self.text, "created_at": self.created_at}


class Store(Protocol):
    """What the handlers may ask of a database; every query is scoped to one owner."""

    async def list_todos(self, owner: str, limit: int, offset: int) -> list[Todo]:
        """Up to ``limit`` todos of ``owner`` in insertion order, skipping ``offset``."""

    async def add_todo(self, owner: str, text: str) -> Todo:
        """Store a todo durably (committed and fsynced) before returning it."""

    async def delete_todo_at(self, owner: str, index: int) -> Todo | None:
        """Delete the ``index``-th todo (0-based, insertion order); None if there is none."""

    async def delete_todo(self, owner: str, todo_id: int) -> Todo | None:
        """Delete the todo with this id if ``owner`` has it; None otherwise."""

    async def ping(self) -> None:
        """Raise if the database cannot answer."""

    async def close(self) -> None:
        """Finish every queued write, then release the database."""
