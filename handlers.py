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
from datetime import UTC, datetime
from typing import Any

from plugin.api import Caller, Database, Lock, NotFound, Query, Row, Work

COLUMNS = "id, text, created_at"  # the table is migrations/001_todos.sql

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


def _item(row: Row) -> dict[str, Any]:
    todo_id, text, created_at = row
    return {"id": todo_id, "todo": text, "created_at": created_at}


def _deleted(rows: list[Row], missing: str) -> dict[str, Any]:
    if not rows:
        raise NotFound(missing)
    return _item(rows[0])


def _delete_at(owner: str, index: int) -> Work[list[Row]]:
    """Two instances deleting "the first todo" at once must not both delete one each."""
    yield Lock(owner)
    return (
        yield Query(
            f"""DELETE FROM todos WHERE id = (
                SELECT id FROM todos WHERE owner = ? ORDER BY id LIMIT 1 OFFSET ?
            ) RETURNING {COLUMNS}""",
            (owner, index),
        )
    )


async def getTodos(  # noqa: N802 (named by its operationId)
    username: str, limit: int, offset: int, caller: Caller, db: Database
) -> dict[str, Any]:
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM todos WHERE owner = ? ORDER BY id LIMIT ? OFFSET ?",
        caller.owner_for(username),
        limit + 1,  # one more than the page: whether another page follows
        offset,
    )
    return _page([_item(row) for row in rows], limit, offset)


async def addTodo(  # noqa: N802
    username: str, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, Any]:
    text = body["todo"]
    created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    ((todo_id,),) = await db.execute(
        "INSERT INTO todos (owner, text, created_at) VALUES (?, ?, ?) RETURNING id",
        caller.owner_for(username),
        text,
        created_at,
    )
    return {"id": todo_id, "todo": text, "created_at": created_at}


async def deleteTodo(  # noqa: N802
    username: str, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, Any]:
    index = body["todo_idx"]
    rows = await db.transaction(_delete_at, caller.owner_for(username), index)
    return _deleted(rows, f"No todo at index {index} for user {username!r}.")


async def deleteTodoById(  # noqa: N802
    username: str, todo_id: int, caller: Caller, db: Database
) -> dict[str, Any]:
    rows = await db.execute(
        f"DELETE FROM todos WHERE owner = ? AND id = ? RETURNING {COLUMNS}",
        caller.owner_for(username),
        todo_id,
    )
    return _deleted(rows, f"No todo with id {todo_id} for user {username!r}.")
