"""Tools built from the spec (fast): schemas, names, annotations, x-mcp and the problems list."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote, urlencode

import yaml

from plugin.config import PROJECT_ROOT
from plugin.mcp import build_tools
from plugin.mcp.calls import _request


def shipped_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    return spec


def operation(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][path][method]
    return found


def test_shipped_spec_gives_one_tool_per_operation_without_problems() -> None:
    tools = build_tools(shipped_spec())
    assert list(tools.tools) == ["getTodos", "addTodo", "deleteTodo", "deleteTodoById"]
    assert tools.problems == ()
    assert build_tools(shipped_spec()).issues == ()


def test_path_query_and_body_parameters_are_flattened_with_types_and_required() -> None:
    tools = build_tools(shipped_spec()).tools
    listing = tools["getTodos"].definition["inputSchema"]
    assert listing["required"] == ["username"]
    assert listing["properties"]["limit"]["type"] == "integer"
    assert listing["properties"]["limit"]["maximum"] == 500
    assert listing["properties"]["offset"]["description"].startswith("How many todos to skip")
    add = tools["addTodo"].definition["inputSchema"]
    assert add["required"] == ["username", "todo"]
    assert add["properties"]["todo"] == {
        "type": "string",
        "description": "The todo to add (not only spaces).",
        "minLength": 1,
        "maxLength": 2000,
        "pattern": "\\S",
    }


def test_output_schema_is_self_contained_json_schema() -> None:
    output = build_tools(shipped_spec()).tools["getTodos"].definition["outputSchema"]
    assert output["properties"]["next_offset"]["type"] == ["integer", "null"]
    assert "nullable" not in str(output)


def test_every_shipped_tool_states_every_hint_and_a_title() -> None:
    tools = build_tools(shipped_spec()).tools
    hints = {name: tool.definition["annotations"] for name, tool in tools.items()}
    assert hints == {
        "getTodos": {
            "readOnlyHint": True,
            "destructiveHint": False,
            "idempotentHint": True,
            "openWorldHint": False,
            "title": "Get todos",
        },
        "addTodo": {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": False,
            "openWorldHint": False,
            "title": "Add todo",
        },
        "deleteTodo": {  # x-mcp: a position names the next todo once this one is gone
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": False,
            "openWorldHint": False,
            "title": "Delete todo",
        },
        "deleteTodoById": {
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": True,
            "openWorldHint": False,
            "title": "Delete todo by id",
        },
    }
    assert {name: tool.definition["title"] for name, tool in tools.items()} == {
        name: annotations["title"] for name, annotations in hints.items()
    }
    assert [name for name, tool in tools.items() if tool.confirm] == [
        "deleteTodo",
        "deleteTodoById",
    ]
    assert tools["getTodos"].paging is not None and tools["addTodo"].paging is None


def test_x_mcp_renames_rewrites_and_excludes() -> None:
    spec = shipped_spec()
    operation(spec, "/todos/{username}", "get")["x-mcp"] = {
        "name": "list_todos",
        "description": "List the user's todos.",
    }
    operation(spec, "/todos/{username}/{todo_id}", "delete")["x-mcp"] = {"exclude": True}
    tools = build_tools(spec).tools
    assert list(tools) == ["list_todos", "addTodo", "deleteTodo"]
    assert tools["list_todos"].definition["description"] == "List the user's todos."


def test_invalid_and_clashing_names_are_fixed_and_reported() -> None:
    spec = shipped_spec()
    operation(spec, "/todos/{username}", "get")["operationId"] = "get todos/all" + "x" * 80
    operation(spec, "/todos/{username}", "delete")["operationId"] = "addTodo"
    built = build_tools(spec)
    names = list(built.tools)
    assert all(len(name) <= 64 for name in names)
    assert names[0].startswith("get_todos_all")
    assert names[1] == "addTodo" and names[2] == "addTodo_2"
    assert len(built.problems) == 2
    assert "not a valid MCP tool name" in built.problems[0]
    assert "is taken" in built.problems[1]


def test_body_property_clashing_with_a_parameter_gets_a_stable_suffix() -> None:
    spec = shipped_spec()
    body = operation(spec, "/todos/{username}", "post")["requestBody"]
    body["content"]["application/json"]["schema"]["properties"]["username"] = {"type": "string"}
    tool = build_tools(spec).tools["addTodo"]
    assert list(tool.definition["inputSchema"]["properties"]) == [
        "username",
        "todo",
        "username_body",
    ]
    assert [(a.name, a.location, a.key) for a in tool.arguments][-1] == (
        "username_body",
        "body",
        "username",
    )


def test_refs_are_inlined_and_missing_descriptions_and_empty_objects_reported() -> None:
    spec = shipped_spec()
    spec["components"]["schemas"]["NewTodo"] = copy.deepcopy(
        operation(spec, "/todos/{username}", "post")["requestBody"]["content"]["application/json"][
            "schema"
        ]
    )
    post = operation(spec, "/todos/{username}", "post")
    post["requestBody"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/NewTodo"
    }
    del post["summary"]
    delete = operation(spec, "/todos/{username}", "delete")
    delete["requestBody"]["content"]["application/json"]["schema"] = {"type": "object"}
    built = build_tools(spec)
    assert (
        built.tools["addTodo"].definition["inputSchema"]["properties"]["todo"]["maxLength"] == 2000
    )
    assert built.tools["addTodo"].definition["description"] == "POST /todos/{username}"
    assert "$ref" not in str(built.listing)
    assert any("no summary or description" in problem for problem in built.problems)
    assert any("object without properties" in problem for problem in built.problems)


def test_argument_errors_name_the_field() -> None:
    tool = build_tools(shipped_spec()).tools["deleteTodo"]
    assert tool.errors({"username": "ann", "todo_idx": 0}) == []
    errors = tool.errors({"username": "ann", "todo_idx": "0"})
    assert errors == ['todo_idx: "0" is not of type "integer"']
    assert tool.errors({}) == [
        '"todo_idx" is a required property',
        '"username" is a required property',
    ]


def test_a_schema_json_schema_cannot_compile_is_reported_and_not_enforced() -> None:
    spec = shipped_spec()
    operation(spec, "/todos/{username}", "get")["parameters"][0]["schema"]["pattern"] = "(?<!a)["
    built = build_tools(spec)
    assert any("not valid JSON Schema" in problem for problem in built.problems)
    assert built.tools["getTodos"].errors({"username": 5}) == []


def test_x_mcp_header_is_carried_when_valid_and_reported_when_not() -> None:
    spec = shipped_spec()
    get = operation(spec, "/todos/{username}", "get")
    get["parameters"][0]["schema"]["x-mcp-header"] = "User"
    get["parameters"][1]["schema"]["x-mcp-header"] = "user"
    post = operation(spec, "/todos/{username}", "post")
    post["parameters"][0]["schema"]["x-mcp-header"] = "Bad Name"
    body = post["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["todo"]["x-mcp-header"] = "Todo"
    built = build_tools(spec)
    get_tool = built.tools["getTodos"]
    assert get_tool.headers == (("username", "User"),)
    assert get_tool.definition["inputSchema"]["properties"]["username"]["x-mcp-header"] == "User"
    assert built.tools["addTodo"].headers == (("todo", "Todo"),)
    assert len(built.problems) == 2
    assert "already used by 'username'" in built.problems[0]
    assert "header name token" in built.problems[1]


def test_a_calls_body_is_compact_json_and_any_integer_is_sent_exactly() -> None:
    """What the operation's strict parse reads fastest (orjson's own form), and the json
    module's for what orjson cannot write, an integer past 64 bits."""
    tool = build_tools(shipped_spec()).tools["addTodo"]
    for todo in ('caf\u00e9 \U0001f600 "q"', 2**70):
        path, _, _, body = _request(tool, "", {"username": "ann", "todo": todo})
        assert path == "/todos/ann"
        compact = json.dumps({"todo": todo}, ensure_ascii=False, separators=(",", ":"))
        assert body == compact.encode()


def test_a_calls_path_and_query_are_encoded_as_urllib_encodes_them() -> None:
    """Unreserved text goes as it is; anything else as ``quote`` and ``urlencode`` write it."""
    spec = shipped_spec()
    spec["paths"]["/todos/{username}"]["get"]["parameters"].append(
        {"name": "q", "in": "query", "schema": {"type": "string"}}
    )
    tool = build_tools(spec).tools["getTodos"]
    for username, q in [("ann", "milk"), ("a+b@c.d", "buy milk & eggs/é"), ("x_y-z.~1", "a=b")]:
        path, raw_path, query, _ = _request(tool, "", {"username": username, "limit": 5, "q": q})
        assert path == f"/todos/{username}"
        assert raw_path == f"/todos/{quote(username, safe='')}"
        assert query == urlencode([("limit", "5"), ("q", q)])
