"""The bookmarks example (examples/bookmarks), in-process on SQLite and PostgreSQL: its
operations, the 409, paging within the answer limit, the spec's validation in the envelope,
callers kept apart, and ``check`` clean. Every answer is checked against its spec."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from quart.testing import QuartClient

from plugin import Settings
from plugin.accounts import add_user, create_key
from plugin.config import PROJECT_ROOT
from plugin.lint import check_root
from plugin.state import app_state

from .conftest import SERVICE_TOKEN, MakeClient
from .userauth.support import PASSWORD

EXAMPLE = PROJECT_ROOT / "examples" / "bookmarks"
PAGE = "https://example.com/page"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(root=EXAMPLE, check_responses=True)


@pytest.fixture(autouse=True)
def answers_match_the_spec(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which any answer broke the spec (``PLUGIN_CHECK_RESPONSES``)."""
    with caplog.at_level(logging.WARNING, logger="plugin.operations.answers"):
        yield
    records = caplog.get_records("call")
    assert [r.getMessage() for r in records if r.name == "plugin.operations.answers"] == []


async def add(client: QuartClient, url: str = PAGE, **fields: Any) -> Any:
    response = await client.post("/bookmarks", json={"url": url, "title": "A page", **fields})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return await response.get_json()


def test_the_example_passes_check_with_no_warnings() -> None:
    report = check_root(Settings(root=EXAMPLE))
    assert [finding.message for finding in report.findings] == []


async def test_a_bookmark_from_saved_to_deleted(client: QuartClient) -> None:
    saved = await add(client, tags=["to-read", "python"], review={"rating": 4, "comment": "deep"})
    assert saved["tags"] == ["python", "to-read"] and saved["status"] == "unread"
    assert saved["review"] == {"rating": 4, "comment": "deep"}
    other = await add(client, "https://example.org/", status="read", tags=["python"])
    assert (await (await client.get(f"/bookmarks/{saved['id']}")).get_json()) == saved

    changed = await client.patch(
        f"/bookmarks/{saved['id']}", json={"title": "Renamed", "status": "read", "review": None}
    )
    assert changed.status_code == 200
    body = await changed.get_json()
    assert (body["title"], body["status"], body["review"]) == ("Renamed", "read", None)
    assert body["tags"] == ["python", "to-read"]  # not given: kept
    retagged = await client.patch(f"/bookmarks/{other['id']}", json={"tags": ["news"]})
    assert (await retagged.get_json())["tags"] == ["news"]

    async def ids(query: str) -> list[int]:
        page = await (await client.get(f"/bookmarks?{query}")).get_json()
        return [bookmark["id"] for bookmark in page["bookmarks"]]

    assert await ids("") == [other["id"], saved["id"]]  # newest first
    assert await ids("sort=oldest") == [saved["id"], other["id"]]
    assert await ids("tag=python") == [saved["id"]]
    assert await ids("tag=news&status=read") == [other["id"]]
    assert await ids("status=unread") == []
    await client.patch(f"/bookmarks/{other['id']}", json={"review": {"rating": 2}})
    assert await ids("sort=rating") == [other["id"], saved["id"]]  # unrated last
    tags = await (await client.get("/tags")).get_json()
    assert tags["tags"] == [{"tag": tag, "count": 1} for tag in ("news", "python", "to-read")]

    deleted = await client.delete(f"/bookmarks/{saved['id']}")
    assert deleted.status_code == 204 and await deleted.get_data() == b""
    assert (await client.get(f"/bookmarks/{saved['id']}")).status_code == 404
    assert (await client.delete(f"/bookmarks/{saved['id']}")).status_code == 404
    assert [t["tag"] for t in (await (await client.get("/tags")).get_json())["tags"]] == ["news"]


async def test_the_same_url_twice_is_a_409_naming_the_first(client: QuartClient) -> None:
    first = await add(client, tags=["kept"])
    again = await client.post("/bookmarks", json={"url": PAGE, "title": "B", "tags": ["lost"]})
    assert again.status_code == 409
    error = await again.get_json()
    assert error["error"] == "conflict" and f"id {first['id']}" in error["error_description"]
    other = await add(client, "https://example.com/other")
    moved = await client.patch(f"/bookmarks/{other['id']}", json={"url": PAGE, "tags": ["x"]})
    assert moved.status_code == 409 and (await moved.get_json())["error"] == "conflict"
    # Nothing of either refused write was stored.
    assert (await (await client.get(f"/bookmarks/{other['id']}")).get_json()) == other
    tags = await (await client.get("/tags")).get_json()
    assert tags["tags"] == [{"tag": "kept", "count": 1}]


INVALID: list[tuple[str, str, Any, str]] = [
    ("GET", "/bookmarks?sort=best", None, "query parameter 'sort' must be one of 'newest'"),
    ("GET", "/bookmarks?status=new", None, "query parameter 'status' must be one of 'unread'"),
    ("GET", "/bookmarks?limit=0", None, "query parameter 'limit' must be at least 1"),
    ("GET", "/bookmarks?limit=101", None, "query parameter 'limit' must be at most 100"),
    ("GET", "/bookmarks?limit=ten", None, "query parameter 'limit'"),
    ("GET", "/bookmarks?offset=-1", None, "query parameter 'offset' must be at least 0"),
    ("GET", "/bookmarks?tag=Has%20Space", None, "query parameter 'tag' must match the pattern"),
    ("GET", "/tags?limit=501", None, "query parameter 'limit' must be at most 500"),
    ("POST", "/bookmarks", {"title": "no url"}, "The body needs 'url'"),
    ("POST", "/bookmarks", {"url": "ftp://x", "title": "t"}, "'url' in the body must match"),
    ("POST", "/bookmarks", {"url": PAGE, "title": "   "}, "'title' in the body must match"),
    ("POST", "/bookmarks", {"url": PAGE, "title": "t", "x": 1}, "The body may not have 'x'"),
    ("POST", "/bookmarks", {"url": PAGE, "title": "t", "tags": ["a", "a"]}, "must not repeat"),
    (
        "POST",
        "/bookmarks",
        {"url": PAGE, "title": "t", "review": {"rating": 6}},
        "'review.rating' in the body must be at most 5",
    ),
    (
        "POST",
        "/bookmarks",
        {"url": PAGE, "title": "t", "review": {"rating": 2.5}},
        "'review.rating' in the body must be an integer",
    ),
    (
        "POST",
        "/bookmarks",
        {"url": PAGE, "title": "t", "review": {"comment": "no rating"}},
        "'review' in the body needs 'rating'",
    ),
    ("PATCH", "/bookmarks/1", {}, "The body must have at least 1 properties"),
    ("PATCH", "/bookmarks/1", {"status": "done"}, "'status' in the body must be one of"),
]


async def test_the_spec_refuses_bad_input_in_the_envelope(client: QuartClient) -> None:
    await add(client)
    for method, path, body, said in INVALID:
        response = await client.open(path, method=method, json=body)
        assert response.status_code == 422, (method, path, body)
        error = await response.get_json()
        assert error["error"] == "invalid_request", error
        assert said in error["error_description"], (said, error)
    not_json = await client.post(
        "/bookmarks", data='{"url": 1}', headers={"Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    malformed = await client.post(
        "/bookmarks", data="{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and (await malformed.get_json())["error"] == "bad_request"
    # An id the path parameter cannot be names no bookmark, whatever the method: a 404 (not
    # the 405 Werkzeug gives when a converter refuses after another method's rule was tried).
    for method in ("GET", "PATCH", "DELETE"):
        for segment in ("0", "9223372036854775808", "abc", "99"):
            response = await client.open(
                f"/bookmarks/{segment}", method=method, json={"title": "t"}
            )
            assert response.status_code == 404, (method, segment)
            assert (await response.get_json())["error"] == "not_found"
    assert len((await (await client.get("/bookmarks")).get_json())["bookmarks"]) == 1


async def test_pages_stay_under_the_models_answer_limit(client: QuartClient) -> None:
    # Each bookmark as long as the spec allows, in characters JSON writes six times over.
    long = {"title": "\x01" * 300, "review": {"rating": 3, "comment": "\x01" * 1000}}
    tags = [f"t{n}-" + "x" * 28 for n in range(10)]
    saved = [
        (await add(client, f"https://example.com/{n}/" + "p" * 2000, tags=tags, **long))["id"]
        for n in range(25)
    ]
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        response = await client.get(f"/bookmarks?sort=oldest&limit=100&offset={offset}")
        text = await response.get_data(as_text=True)
        assert len(text) < 100_000
        page = json.loads(text)
        assert page["offset"] == offset and page["bookmarks"]
        seen += [bookmark["id"] for bookmark in page["bookmarks"]]
        offset = page["next_offset"]
    assert seen == saved and len(text) > 10_000  # cut by size, not by count
    short = await (await client.get("/bookmarks?sort=oldest&limit=2&offset=23")).get_json()
    assert [b["id"] for b in short["bookmarks"]] == saved[23:] and short["next_offset"] is None
    assert (await (await client.get("/tags?limit=3")).get_json())["next_offset"] == 3


async def test_user_http_callers_never_see_each_others_bookmarks(make_client: MakeClient) -> None:
    client = await make_client(root=EXAMPLE, auth="user_http", check_responses=True)
    store = app_state(client.app).open_store
    keys = {}
    for user in ("ann", "bob"):
        await add_user(store, user, PASSWORD)
        keys[user] = {"Authorization": f"Bearer {(await create_key(store, user)).secret}"}
    ann = await client.post("/bookmarks", json={"url": PAGE, "title": "ann's"}, headers=keys["ann"])
    bob = await client.post(
        "/bookmarks", json={"url": PAGE, "title": "bob's", "tags": ["b"]}, headers=keys["bob"]
    )
    assert ann.status_code == bob.status_code == 201  # the same URL, two owners
    ann_id = (await ann.get_json())["id"]
    for method, body in (("GET", None), ("PATCH", {"title": "stolen"}), ("DELETE", None)):
        stolen = await client.open(
            f"/bookmarks/{ann_id}", method=method, json=body, headers=keys["bob"]
        )
        assert stolen.status_code == 404, method
    listed = await (await client.get("/bookmarks", headers=keys["bob"])).get_json()
    assert [b["title"] for b in listed["bookmarks"]] == ["bob's"]
    assert (await (await client.get("/tags", headers=keys["ann"])).get_json())["tags"] == []
    mine = await (await client.get(f"/bookmarks/{ann_id}", headers=keys["ann"])).get_json()
    assert mine["title"] == "ann's"
    assert (await client.get("/bookmarks")).status_code == 401


async def test_service_http_keeps_chatgpt_users_apart(make_client: MakeClient) -> None:
    client = await make_client(
        root=EXAMPLE, auth="service_http", service_token=SERVICE_TOKEN, check_responses=True
    )
    bearer = {"Authorization": f"Bearer {SERVICE_TOKEN}"}

    def user(name: str) -> dict[str, str]:
        return {**bearer, "openai-ephemeral-user-id": name}

    for headers in (user("u-1"), user("u-2"), bearer):
        response = await client.post(
            "/bookmarks", json={"url": PAGE, "title": "t"}, headers=headers
        )
        assert response.status_code == 201
    for headers in (user("u-1"), user("u-2"), bearer):
        page = await (await client.get("/bookmarks", headers=headers)).get_json()
        assert len(page["bookmarks"]) == 1
