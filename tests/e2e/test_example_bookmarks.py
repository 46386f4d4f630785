"""The bookmarks example (examples/bookmarks) served by ``python main.py`` as a user's plugin is:
one real server per auth mode for the whole module (``none`` and ``oauth`` on SQLite,
``service_http`` and ``user_http`` on PostgreSQL), reached over HTTP and through the official MCP
client; schemathesis and ``check`` against the live spec; ``users remove`` with the real CLI.
Every server checks its answers against the spec (``PLUGIN_CHECK_RESPONSES``) and its log must
hold no mismatch and no traceback when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from plugin.accounts import NewClient, add_client, add_user, create_key
from plugin.lint import check_url
from plugin.storage import open_store
from tests.conftest import SERVICE_TOKEN
from tests.postgres import PostgresCluster
from tests.servers import REPO, LiveServer
from tests.userauth.cli import cli_ok
from tests.userauth.support import EXACT_URI, PASSWORD

from .conftest import shared_server
from .test_mcp import keyed_client_calls, rpc
from .test_mcp_oauth import Person, signed_in_calls
from .test_oauth_flow import exchange_as_json, sign_in
from .test_schemathesis import schemathesis

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "bookmarks"
USERS = ("ann", "bob")


@dataclass
class Deployment:
    """A server of the example in one auth mode, and how each user calls it over HTTP."""

    mode: str
    server: LiveServer
    database: str
    headers: dict[str, dict[str, str]]  # by user
    keys: dict[str, str] = field(default_factory=dict)  # user_http: each user's API key

    def http(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers=self.headers[user])


def accounts(database: str, users: tuple[str, ...] = USERS) -> tuple[dict[str, str], NewClient]:
    """An API key for each of ``users`` (made now) and an OAuth client for EXACT_URI, made by
    the functions the CLI runs (each CLI call starts Python again: seconds spent for nothing)."""

    async def make() -> tuple[dict[str, str], NewClient]:
        store = await open_store(database)
        try:
            keys = {}
            for user in users:
                await add_user(store, user, PASSWORD)
                keys[user] = (await create_key(store, user)).secret
            return keys, await add_client(store, [EXACT_URI], False)
        finally:
            await store.close()

    return asyncio.run(make())


def serve(folder: Path, database: str, env: dict[str, str]) -> Iterator[LiveServer]:
    """The example served on ``database`` until the module ends; then its log is checked."""
    env = {
        "PLUGIN_ROOT": str(EXAMPLE),
        "PLUGIN_DATABASE": database,
        "PLUGIN_CHECK_RESPONSES": "on",
        **env,
    }
    for server in shared_server(folder, env):
        yield server
    log = server.log()
    assert "does not match the spec" not in log and "is not in the spec" not in log, log
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def open_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("bookmarks-none")
    database = str(folder / "plugin.sqlite3")
    for server in serve(folder, database, {}):
        yield Deployment("none", server, database, {user: {} for user in USERS})


@pytest.fixture(scope="module")
def chatgpt_deployment(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster
) -> Iterator[Deployment]:
    """service_http: ChatGPT's token, and each ChatGPT user named by its ephemeral id."""
    database = postgres.new_database()
    env = {"PLUGIN_AUTH": "service_http", "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN}
    bearer = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    headers = {user: {**bearer, "openai-ephemeral-user-id": f"user-{user}"} for user in USERS}
    for server in serve(tmp_path_factory.mktemp("bookmarks-service"), database, env):
        yield Deployment("service_http", server, database, headers)


@pytest.fixture(scope="module")
def keyed_deployment(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster
) -> Iterator[Deployment]:
    database = postgres.new_database()
    keys, _ = accounts(database)
    headers = {user: {"Authorization": f"Bearer {key}"} for user, key in keys.items()}
    env = {"PLUGIN_AUTH": "user_http"}
    for server in serve(tmp_path_factory.mktemp("bookmarks-keys"), database, env):
        yield Deployment("user_http", server, database, headers, keys)


@pytest.fixture(scope="module")
def oauth_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """oauth: ann signed in by the plugin flow ChatGPT drives, bob by the official MCP client."""
    folder = tmp_path_factory.mktemp("bookmarks-oauth")
    database = str(folder / "plugin.sqlite3")
    _, client = accounts(database)
    client_id, secret = client.client.client_id, client.secret
    for server in serve(folder, database, {"PLUGIN_AUTH": "oauth"}):
        with httpx.Client(base_url=server.url) as http:
            code = sign_in(http, client_id, "state")  # as ann
            ann = exchange_as_json(http, code, client_id, secret).json()["access_token"]
        # bob signs in as an MCP client does: dynamic registration, PKCE, resource.
        _, _, tokens = asyncio.run(signed_in_calls(server.url, Person("bob"), []))
        assert tokens is not None
        headers = {
            "ann": {"Authorization": f"Bearer {ann}"},
            "bob": {"Authorization": f"Bearer {tokens.access_token}"},
        }
        yield Deployment("oauth", server, database, headers)


@pytest.fixture(params=["open", "chatgpt", "keyed", "oauth"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    """Each auth mode's server in turn."""
    found: Deployment = request.getfixturevalue(f"{request.param}_deployment")
    return found


def test_callers_keep_to_their_own_bookmarks(deployment: Deployment) -> None:
    url = f"https://example.com/shared-{deployment.mode}"
    tag = f"iso-{deployment.mode.replace('_', '-')}"
    with deployment.http("ann") as ann, deployment.http("bob") as bob:
        saved = ann.post("/bookmarks", json={"url": url, "title": "ann's", "tags": [tag]})
        assert saved.status_code == 201, saved.text
        ann_id = saved.json()["id"]
        again = bob.post("/bookmarks", json={"url": url, "title": "bob's", "tags": [tag]})
        bad = bob.post("/bookmarks", json={"url": url, "title": "t", "review": {"rating": 0}})
        assert bad.status_code == 422 and bad.json() == {
            "error": "invalid_request",
            "error_description": "'review.rating' in the body must be at least 1.",
        }
        if deployment.mode == "none":  # an open server keeps one collection for everyone
            assert again.status_code == 409 and f"id {ann_id}" in again.json()["error_description"]
            assert bob.get(f"/bookmarks/{ann_id}").status_code == 200
            return
        assert again.status_code == 201, again.text
        for method in ("GET", "PATCH", "DELETE"):
            body = {"title": "stolen"} if method == "PATCH" else None
            assert bob.request(method, f"/bookmarks/{ann_id}", json=body).status_code == 404
        for client, title in ((ann, "ann's"), (bob, "bob's")):
            page = client.get("/bookmarks", params={"tag": tag}).json()
            assert [bookmark["title"] for bookmark in page["bookmarks"]] == [title]
        anonymous = httpx.get(f"{deployment.server.url}/bookmarks")
        assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"


async def _open_calls(url: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async with Client(f"{url}/mcp", mode="legacy") as client:
        return [await client.call_tool(name, arguments) for name, arguments in calls]


def mcp_calls(deployment: Deployment, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Results of ``calls`` made as ann by the official MCP client, as each mode signs it in."""
    url = deployment.server.url
    if deployment.mode == "none":
        return asyncio.run(_open_calls(url, calls))
    if deployment.mode == "oauth":
        return asyncio.run(signed_in_calls(url, Person("ann"), calls))[0]
    key = SERVICE_TOKEN if deployment.mode == "service_http" else deployment.keys["ann"]
    return asyncio.run(keyed_client_calls(url, key, calls))


def test_the_official_mcp_client_works_the_bookmarks(deployment: Deployment) -> None:
    url = f"https://example.com/mcp-{deployment.mode}"
    tag = "mcp"
    calls = [
        ("addBookmark", {"url": url, "title": "t", "tags": [tag], "review": {"rating": 5}}),
        ("listBookmarks", {"tag": tag, "sort": "rating", "limit": 5}),
        ("addBookmark", {"url": url, "title": "twice"}),
        ("updateBookmark", {"bookmark_id": 0, "status": "read"}),
    ]
    added, listed, twice, nowhere = mcp_calls(deployment, calls)
    assert not added.is_error, added
    bookmark = added.structured_content
    assert bookmark["tags"] == [tag] and bookmark["review"] == {"rating": 5}
    assert bookmark in listed.structured_content["bookmarks"]
    assert twice.is_error and '"conflict"' in twice.content[0].text
    assert nowhere.is_error
    (updated, deleted, gone) = mcp_calls(
        deployment,
        [
            ("updateBookmark", {"bookmark_id": bookmark["id"], "status": "archived"}),
            ("deleteBookmark", {"bookmark_id": bookmark["id"]}),
            ("getBookmark", {"bookmark_id": bookmark["id"]}),
        ],
    )
    assert updated.structured_content["status"] == "archived"
    assert not deleted.is_error and gone.is_error


def test_tools_say_which_calls_need_asking(open_deployment: Deployment) -> None:
    answer = httpx.post(f"{open_deployment.server.url}/mcp", json=rpc("tools/list")).json()
    tools = {tool["name"]: tool for tool in answer["result"]["tools"]}
    assert sorted(tools) == sorted(
        [
            "listBookmarks",
            "addBookmark",
            "getBookmark",
            "updateBookmark",
            "deleteBookmark",
            "listTags",
        ]
    )
    assert tools["listBookmarks"]["annotations"]["readOnlyHint"] is True
    assert tools["deleteBookmark"]["annotations"]["destructiveHint"] is True
    assert tools["updateBookmark"]["annotations"]["destructiveHint"] is False


def test_check_finds_nothing_on_the_live_example(open_deployment: Deployment) -> None:
    report = check_url(open_deployment.server.url.replace("127.0.0.1", "localhost"))
    assert [finding.message for finding in report.findings] == []


def test_schemathesis_against_the_live_spec(keyed_deployment: Deployment, tmp_path: Path) -> None:
    """With a user's key on PostgreSQL: past authentication, into every handler's SQL."""
    ((name, value),) = keyed_deployment.headers["ann"].items()
    schemathesis(keyed_deployment.server, tmp_path, "--header", f"{name}: {value}")


def test_users_remove_erases_a_users_bookmarks(keyed_deployment: Deployment) -> None:
    with keyed_deployment.http("ann") as ann, keyed_deployment.http("bob") as bob:
        for n in range(3):
            body = {"url": f"https://example.com/bob/{n}", "title": "t", "tags": ["gone"]}
            assert bob.post("/bookmarks", json=body).status_code == 201
        kept = ann.post("/bookmarks", json={"url": "https://example.com/kept", "title": "t"})
        cli_ok(keyed_deployment.database, "users", "remove", "bob")
        assert bob.get("/bookmarks").status_code == 401
        assert ann.get(f"/bookmarks/{kept.json()['id']}").status_code == 200
    keys, _ = accounts(keyed_deployment.database, ("bob",))
    with httpx.Client(
        base_url=keyed_deployment.server.url, headers={"Authorization": f"Bearer {keys['bob']}"}
    ) as new_bob:
        assert new_bob.get("/bookmarks").json()["bookmarks"] == []
        assert new_bob.get("/tags").json()["tags"] == []
