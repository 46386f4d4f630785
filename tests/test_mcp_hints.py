"""Tool hints (fast): derived from the method and x-openai-isConsequential, overridden by
x-mcp, contradictions reported; the paging the result budget uses; the confirmation state."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from plugin.mcp.confirmation import Confirmation
from plugin.mcp.hints import derive_hints
from plugin.mcp.paging import Paging, find_paging
from plugin.mcp.protocol import RPCError
from plugin.mcp.tools import Tool, build_tools
from tests.test_mcp_tools import shipped_spec

# method: (readOnly, destructive, idempotent, asks first)
BY_METHOD = {
    "get": (True, False, True, False),
    "head": (True, False, True, False),
    "options": (True, False, True, False),
    "post": (False, False, False, False),
    "put": (False, True, True, True),
    "patch": (False, True, False, True),
    "delete": (False, True, True, True),
}


def hints(method: str, operation: dict[str, Any] | None = None, **extension: Any) -> Any:
    return derive_hints(method, "doThing", operation or {}, extension)


@pytest.mark.parametrize("method", BY_METHOD)
def test_every_hint_is_stated_from_the_method(method: str) -> None:
    found = hints(method)
    read_only, destructive, idempotent, confirm = BY_METHOD[method]
    assert found.annotations == {
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        "openWorldHint": False,
        "title": "Do thing",
    }
    assert found.confirm is confirm and found.problems == ()


@pytest.mark.parametrize(
    ("method", "consequential", "read_only", "destructive", "confirm"),
    [
        ("get", True, False, False, True),  # ask first, but a GET destroys nothing
        ("post", True, False, True, True),
        ("delete", False, False, False, False),
        ("post", False, False, False, False),
        ("get", False, True, False, False),
    ],
)
def test_is_consequential_decides_asking_and_destructiveness(
    method: str, consequential: bool, read_only: bool, destructive: bool, confirm: bool
) -> None:
    found = hints(method, {"x-openai-isConsequential": consequential})
    assert found.annotations["readOnlyHint"] is read_only
    assert found.annotations["destructiveHint"] is destructive
    assert found.confirm is confirm and found.problems == ()


def test_x_mcp_overrides_each_hint_the_title_and_confirmation() -> None:
    found = hints(
        "delete",
        idempotentHint=False,
        openWorldHint=True,
        destructiveHint=False,
        title=" Remove it ",
    )
    assert found.annotations == {
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
        "openWorldHint": True,
        "title": "Remove it",
    }
    assert found.confirm is False  # no longer destructive
    assert hints("delete", confirm=False).confirm is False
    assert hints("post", confirm=True).confirm is True
    assert hints("delete", {"x-openai-isConsequential": True}, confirm=False).confirm is False


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("getTodos", "Get todos"),
        ("delete_todo_by_id", "Delete todo by id"),
        ("getHTTPLog", "Get http log"),
    ],
)
def test_the_title_reads_the_tool_name_as_words(name: str, title: str) -> None:
    assert derive_hints("get", name, {}, {}).annotations["title"] == title


@pytest.mark.parametrize(
    ("method", "operation", "extension", "severity", "field", "words"),
    [
        (
            "get",
            {},
            {"destructiveHint": True},
            "error",
            "x-mcp.destructiveHint",
            "GET is marked destructive",
        ),
        (
            "delete",
            {},
            {"readOnlyHint": True},
            "error",
            "x-mcp.readOnlyHint",
            "DELETE is marked read-only",
        ),
        (
            "patch",
            {},
            {"readOnlyHint": True},
            "error",
            "x-mcp.readOnlyHint",
            "PATCH is marked read-only",
        ),
        (
            "post",
            {},
            {"readOnlyHint": True, "destructiveHint": True},
            "error",
            "x-mcp",
            "both true",
        ),
        (
            "post",
            {"x-openai-isConsequential": True},
            {"readOnlyHint": True},
            "error",
            "x-mcp.readOnlyHint",
            "isConsequential is true",
        ),
        (
            "post",
            {"x-openai-isConsequential": False},
            {"destructiveHint": True},
            "warning",
            "x-mcp.destructiveHint",
            "isConsequential is false",
        ),
        ("post", {}, {"openWorldHint": "yes"}, "warning", "x-mcp.openWorldHint", "true or false"),
        ("post", {}, {"title": 3}, "warning", "x-mcp.title", "must be a text"),
    ],
)
def test_contradictions_are_reported_where_they_are(
    method: str,
    operation: dict[str, Any],
    extension: dict[str, Any],
    severity: str,
    field: str,
    words: str,
) -> None:
    found = derive_hints(method, "doThing", operation, extension).problems
    assert [(p.severity, p.field) for p in found if words in p.message] == [(severity, field)]
    assert all(problem.fix for problem in found)


def test_post_marked_read_only_is_no_contradiction() -> None:
    """A search is often a POST; read-only says it changes nothing, which may be true."""
    assert hints("post", readOnlyHint=True).problems == ()


def test_a_contradiction_in_the_spec_reaches_the_tool_problems() -> None:
    spec = shipped_spec()
    spec["paths"]["/todos/{username}"]["get"]["x-mcp"] = {"destructiveHint": True}
    (problem,) = build_tools(spec).issues
    assert (problem.severity, problem.method, problem.field) == (
        "error",
        "get",
        "x-mcp.destructiveHint",
    )
    # Served as written: the developer's word, reported, not silently changed.
    assert build_tools(spec).tools["getTodos"].definition["annotations"]["destructiveHint"]


OUTPUT = {"properties": {"todos": {}, "next_offset": {}, "cursor": {}}}


@pytest.mark.parametrize(
    ("query", "extension", "paging", "unusable"),
    [
        ({"limit": "limit", "offset": "offset"}, {}, Paging("limit", "offset", "next_offset"), ""),
        (
            {"limit": "limit_query", "offset": "offset"},
            {},
            Paging("limit_query", "offset", "next_offset"),
            "",
        ),
        ({"limit": "limit"}, {}, None, ""),
        ({"limit": "limit", "offset": "offset"}, {"paging": False}, None, ""),
        (
            {"size": "size", "start": "start"},
            {"paging": {"limit": "size", "offset": "start", "next": "cursor"}},
            Paging("size", "start", "cursor"),
            "",
        ),
        (
            {"size": "size"},
            {"paging": {"limit": "size", "offset": "start", "next": "after"}},
            None,
            "x-mcp paging names no query parameter 'start' and no answer field 'after'",
        ),
    ],
)
def test_paging_is_found_by_its_names_or_named_in_x_mcp(
    query: dict[str, str], extension: dict[str, Any], paging: Paging | None, unusable: str
) -> None:
    assert find_paging(query, OUTPUT, extension) == (paging, unusable)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


ARGUMENTS = {"username": "ann", "todo_idx": 0}


@cache
def shipped_tool(name: str) -> Tool:
    return build_tools(shipped_spec()).tools[name]


def confirmed(gate: Confirmation, state: Any, action: str = "accept", **changes: Any) -> str:
    tool = shipped_tool(changes.pop("tool", "deleteTodo"))
    params = {"requestState": state, "inputResponses": {"confirm": {"action": action}}}
    arguments = changes.pop("arguments", ARGUMENTS)
    return gate.decide(params, tool, arguments, changes.pop("caller", b"ann's key"))


def test_the_confirmation_state_runs_only_the_call_it_was_minted_for() -> None:
    clock = Clock()
    gate = Confirmation(b"s" * 32, clock)
    tool = shipped_tool("deleteTodo")
    asked = gate.ask(tool, ARGUMENTS, b"ann's key")
    assert asked["resultType"] == "input_required"
    assert asked["inputRequests"]["confirm"]["params"]["requestedSchema"]["properties"] == {}
    assert "DELETE /todos/{username}" in asked["inputRequests"]["confirm"]["params"]["message"]
    state = asked["requestState"]
    assert confirmed(gate, state) == "accept"
    assert confirmed(gate, state, "decline") == "decline"
    assert confirmed(gate, state, "shrug") == "ask"  # no answer yet: ask again
    assert (
        gate.decide({"inputResponses": {"confirm": {"action": "accept"}}}, tool, ARGUMENTS, b"")
        == "ask"
    )
    refused = [
        {"tool": "deleteTodoById"},
        {"arguments": {"username": "ann", "todo_idx": 1}},
        {"caller": b"bob's key"},
    ]
    for changes in refused:
        with pytest.raises(RPCError, match="requestState"):
            confirmed(gate, state, **changes)
    version, payload, mac = state.split(".")
    for forged in (
        f"{version}.{payload}.{mac[:-2]}AA",
        f"{version}.{payload[:-2]}AA.{mac}",
        "x",
        7,
    ):
        with pytest.raises(RPCError, match="requestState"):
            confirmed(gate, forged)
    with pytest.raises(RPCError, match="requestState"):
        confirmed(Confirmation(b"t" * 32, clock), state)  # another server secret
    clock.now += 601
    with pytest.raises(RPCError, match="requestState"):
        confirmed(gate, state)
