"""The bookmarks plugin's operations (``openapi.yaml``), written only against ``plugin.api``.

Every bound on a request (the URL's characters, a tag's pattern, a rating from 1 to 5, the
page size) is in the spec and checked before a handler runs; what is left here is whose
bookmarks a call reaches, the SQL, and the page budget. Each handler works on the caller's
own rows only: every statement filters on ``owner``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from plugin.api import Caller, Conflict, ConstraintViolation, Database, NotFound, Query, Reply, Work

RESPONSE_BUDGET = 90_000  # characters; the model fails calls whose answer passes 100,000
COLUMNS = "id, url, title, status, rating, comment, created_at, updated_at"
ORDER = {
    "newest": "id DESC",
    "oldest": "id",
    "rating": "rating DESC NULLS LAST, id DESC",
}
SHARED = "anyone:"  # no user name has a ':' (plugin.accounts.USERNAME), so no user is it


def _owner(caller: Caller) -> str:
    """Whose bookmarks a call reaches: the signed-in user's (``user_http``, ``oauth``); else
    the ChatGPT user's that ChatGPT names (``service_http``); else, on an open server, one
    collection everyone shares."""
    if caller.user is not None:
        return caller.user
    chatgpt_user = caller.chatgpt_user
    return f"chatgpt:{chatgpt_user}" if chatgpt_user is not None else SHARED


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _bookmark(row: Sequence[Any], tags: list[str]) -> dict[str, Any]:
    """A row of ``COLUMNS`` and its tags as the spec's ``Bookmark``."""
    id_, url, title, status, rating, comment, created_at, updated_at = row
    review = None
    if rating is not None:
        review = {"rating": rating} if comment is None else {"rating": rating, "comment": comment}
    return {
        "id": id_,
        "url": url,
        "title": title,
        "tags": tags,
        "status": status,
        "review": review,
        "created_at": created_at,
        "updated_at": updated_at,
    }


def _review_columns(review: dict[str, Any] | None) -> tuple[int | None, str | None]:
    if review is None:
        return None, None
    return review["rating"], review.get("comment")


def _insert_tags(owner: str, bookmark_id: int, given: list[str]) -> Work[list[str]]:
    """Tag the bookmark; its tags, in order (by code point in Python, as on either database:
    PostgreSQL's ``ORDER BY`` would follow its locale)."""
    tags = sorted(set(given))
    if tags:
        yield Query(
            "INSERT INTO tags (bookmark_id, owner, tag) VALUES (?, ?, ?)",
            [(bookmark_id, owner, tag) for tag in tags],
            many=True,
        )
    return tags


async def _tags_of(db: Database, owner: str, ids: list[int]) -> dict[int, list[str]]:
    """The tags of each bookmark in ``ids``, in order."""
    found: dict[int, list[str]] = {id_: [] for id_ in ids}
    if not ids:
        return found
    marks = ", ".join("?" * len(ids))
    rows = await db.fetch(
        f"SELECT bookmark_id, tag FROM tags WHERE owner = ? AND bookmark_id IN ({marks})",
        owner,
        *ids,
    )
    for bookmark_id, tag in sorted(rows):
        found[bookmark_id].append(tag)
    return found


def _within_budget(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first of ``items`` whose JSON fits the answer budget (at least one: a single
    bookmark, at its longest, is far below it)."""
    fitted: list[dict[str, Any]] = []
    used = 200  # the page's own keys and numbers
    for item in items:
        used += len(json.dumps(item, ensure_ascii=False)) + 1
        if fitted and used > RESPONSE_BUDGET:
            break
        fitted.append(item)
    return fitted


def _page(key: str, items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    """``items[:limit]`` (``items`` holds one more when there is a next page) as a page."""
    shown = _within_budget(items[:limit])
    more = len(items) > len(shown)
    return {key: shown, "offset": offset, "next_offset": offset + len(shown) if more else None}


async def listBookmarks(  # noqa: N802 (named by its operationId)
    tag: str | None,
    status: str | None,
    sort: str,
    limit: int,
    offset: int,
    caller: Caller,
    db: Database,
) -> dict[str, Any]:
    """One page of the caller's bookmarks, filtered and sorted as asked."""
    owner = _owner(caller)
    where, values = ["owner = ?"], [owner]
    if status is not None:
        where.append("status = ?")
        values.append(status)
    if tag is not None:
        where.append("id IN (SELECT bookmark_id FROM tags WHERE owner = ? AND tag = ?)")
        values += [owner, tag]
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM bookmarks WHERE {' AND '.join(where)} "
        f"ORDER BY {ORDER[sort]} LIMIT ? OFFSET ?",
        *values,
        limit + 1,
        offset,
    )
    tags = await _tags_of(db, owner, [row[0] for row in rows])
    return _page("bookmarks", [_bookmark(row, tags[row[0]]) for row in rows], limit, offset)


def _add(owner: str, body: dict[str, Any]) -> Work[dict[str, Any]]:
    """Insert the bookmark and its tags; a URL the owner already saved is a 409 naming it."""
    now = _now()
    rating, comment = _review_columns(body.get("review"))
    status = body.get("status", "unread")
    rows = yield Query(
        "INSERT INTO bookmarks (owner, url, title, status, rating, comment, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT (owner, url) DO NOTHING RETURNING {COLUMNS}",
        (owner, body["url"], body["title"], status, rating, comment, now, now),
    )
    if not rows:
        existing = yield Query(
            "SELECT id FROM bookmarks WHERE owner = ? AND url = ?", (owner, body["url"])
        )
        raise Conflict(
            f"This URL is already bookmarked as id {existing[0][0]}; "
            "change that bookmark with updateBookmark instead."
        )
    tags = yield from _insert_tags(owner, rows[0][0], body.get("tags", []))
    return _bookmark(rows[0], tags)


async def addBookmark(  # noqa: N802
    body: dict[str, Any], caller: Caller, db: Database
) -> Reply:
    """Save a bookmark (201), or a 409 naming the one with the same URL."""
    return Reply(await db.transaction(_add, _owner(caller), body), status=201)


async def getBookmark(  # noqa: N802
    bookmark_id: int, caller: Caller, db: Database
) -> dict[str, Any]:
    """One of the caller's bookmarks, or a 404."""
    owner = _owner(caller)
    row = await db.fetch_one(
        f"SELECT {COLUMNS} FROM bookmarks WHERE owner = ? AND id = ?", owner, bookmark_id
    )
    if row is None:
        raise NotFound(f"No bookmark with id {bookmark_id}.")
    tags = await _tags_of(db, owner, [bookmark_id])
    return _bookmark(row, tags[bookmark_id])


def _update(owner: str, bookmark_id: int, body: dict[str, Any]) -> Work[dict[str, Any]]:
    """Change the fields ``body`` gives, replacing the tags if it gives them; the bookmark."""
    changes: dict[str, Any] = {k: body[k] for k in ("url", "title", "status") if k in body}
    if "review" in body:
        changes["rating"], changes["comment"] = _review_columns(body["review"])
    changes["updated_at"] = _now()
    assignments = ", ".join(f"{column} = ?" for column in changes)
    rows = yield Query(
        f"UPDATE bookmarks SET {assignments} WHERE owner = ? AND id = ? RETURNING {COLUMNS}",
        (*changes.values(), owner, bookmark_id),
    )
    if not rows:
        raise NotFound(f"No bookmark with id {bookmark_id}.")
    if "tags" in body:
        yield Query("DELETE FROM tags WHERE owner = ? AND bookmark_id = ?", (owner, bookmark_id))
        tags = yield from _insert_tags(owner, bookmark_id, body["tags"])
    else:
        kept = yield Query(
            "SELECT tag FROM tags WHERE owner = ? AND bookmark_id = ?", (owner, bookmark_id)
        )
        tags = sorted(tag for (tag,) in kept)
    return _bookmark(rows[0], tags)


async def updateBookmark(  # noqa: N802
    bookmark_id: int, body: dict[str, Any], caller: Caller, db: Database
) -> dict[str, Any]:
    """Change the fields the body gives; a 409 if the new URL is taken."""
    try:
        return await db.transaction(_update, _owner(caller), bookmark_id, body)
    except ConstraintViolation:  # UNIQUE (owner, url): the only constraint a valid body can break
        raise Conflict(
            "Another of your bookmarks already has this URL; nothing was changed."
        ) from None


async def deleteBookmark(  # noqa: N802
    bookmark_id: int, caller: Caller, db: Database
) -> Reply:
    """Delete one of the caller's bookmarks with its tags (204), or a 404."""
    deleted = await db.execute(
        "DELETE FROM bookmarks WHERE owner = ? AND id = ? RETURNING id", _owner(caller), bookmark_id
    )
    if not deleted:
        raise NotFound(f"No bookmark with id {bookmark_id}.")
    return Reply(status=204)


async def listTags(  # noqa: N802
    limit: int, offset: int, caller: Caller, db: Database
) -> dict[str, Any]:
    """The caller's tags, most used first, with their counts (a tag is at most 32 characters:
    a page of 500 stays far below the answer budget)."""
    rows = await db.fetch(
        "SELECT tag, COUNT(*) AS uses FROM tags WHERE owner = ? GROUP BY tag "
        "ORDER BY uses DESC, tag LIMIT ? OFFSET ?",
        _owner(caller),
        limit + 1,
        offset,
    )
    return _page("tags", [{"tag": tag, "count": count} for tag, count in rows], limit, offset)
