"""Walking an OpenAPI document: its operations, their parameters, local ``$ref``s resolved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["METHODS", "operations", "parameters", "request_schema", "resolve"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def resolve(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow a local ``{"$ref": "#/..."}`` (a few levels, so a cycle cannot hang us)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 8:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        node, depth = target, depth + 1
    return node


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation, in document order."""
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield str(path), method, operation


def parameters(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters with the path item's shared ones, resolved."""
    item = spec.get("paths", {}).get(path, {})
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = resolve(spec, raw)
        if isinstance(parameter, dict):
            found[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
    return list(found.values())


def request_schema(spec: dict[str, Any], operation: dict[str, Any]) -> tuple[str, Any] | None:
    """(media type, schema) of the operation's request body, if it has one."""
    body = resolve(spec, operation.get("requestBody"))
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return None
    for media_type, content in body["content"].items():
        if isinstance(content, dict):
            return str(media_type), resolve(spec, content.get("schema"))
    return None
