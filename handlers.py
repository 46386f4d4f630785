"""The TODO list's operations (``openapi.yaml``): a per-user list compatible with OpenAI's
quickstart, built on the same interface as any plugin (``plugin.api``).

The quickstart's contract is kept (``{"todos": [text, ...]}``, ``{"todo": ...}``,
``{"todo_idx": n}``) and extended with stable ids, so a client can delete exactly the item it
saw even if the list changed in between. Every bound on a request (the username's pattern, a
todo's length, limit and offset) is in the spec, checked before a handler runs; what stays
here is the page budget: a page is cut to stay under the model's 100,000-character response
limit whatever the todos contain, and ``next_offset`` says where the next page starts.
"""

from __future__ import annotations

import json
from typing import Any

from plugin.api import Caller, Database, NotFound

RESPONSE_BUDGET = 90_000  # characters; the model fails calls whose answer passes 100,000
ENVELOPE_CHARS = 200  # the page's keys and numbers
ITEM_CHARS = 100  # an item's keys, id, date and quotes, and the separators around it
ESCAPED = 6  # the most JSON characters one character can take ("\u001f")


def _worst_case_chars(texts: list[str]) -> int:
    """An upper bound of a page's JSON size: each text twice, every character escaped."""
    return ENVELOPE_CHARS + sum(ITEM_CHARS + 2 * ESCAPED * len(text) for text in texts)


def _fitting(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As many of ``items`` as the character budget allows, by their exact JSON size."""
    fitted: list[dict[str, Any]] = []
    used = ENVELOPE_CHARS
    for item in items:
        cost = (
            len(json.dumps(item, ensure_ascii=False))
            + len(json.dumps(item["todo"], ensure_ascii=False))
            + 4
        )
        if fitted and used + cost > RESPONSE_BUDGET:
            break
        used += cost
        fitted.append(item)
    return fitted


def _page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """Fit as many of ``items[:limit]`` as the character budget allows.

    Measuring each item's JSON is needed only near the budget; short lists, the common case,
    are under it even if every character needed escaping, and skip it.
    """
    candidates = items[:limit]
    if _worst_case_chars([item["todo"] for item in candidates]) > RESPONSE_BUDGET:
        candidates = _fitting(candidates)
    more = len(items) > len(candidates)
    return {
        "todos": [item["todo"] for item in candidates],
        "items": candidates,
        "offset": offset,
        "next_offset": offset + len(candidates) if more else None,
    }


async def getTodos(  # noqa: N802 (named by its operationId)
    username: str, limit: int, offset: int, caller: Caller, db: Database
) -> dict[str, Any]:
    todos = await db.list_todos(caller.owner_for(username), limit + 1, offset)
    return _page([todo.as_json() for todo in todos], limit, offset)


async def addTodo(  # noqa: N802
    username: str, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, object]:
    todo = await db.add_todo(caller.owner_for(username), body["todo"])
    return todo.as_json()


async def deleteTodo(  # noqa: N802
    username: str, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, object]:
    index = body["todo_idx"]
    todo = await db.delete_todo_at(caller.owner_for(username), index)
    if todo is None:
        raise NotFound(f"No todo at index {index} for user {username!r}.")
    return todo.as_json()


async def deleteTodoById(  # noqa: N802
    username: str, todo_id: int, caller: Caller, db: Database
) -> dict[str, object]:
    todo = await db.delete_todo(caller.owner_for(username), todo_id)
    if todo is None:
        raise NotFound(f"No todo with id {todo_id} for user {username!r}.")
    return todo.as_json()
