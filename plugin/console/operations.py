"""The spec's operations as the console's try-it forms need them: parameters resolved and a
request body skeleton to start editing from (and the same skeleton for an MCP tool's
arguments)."""

from __future__ import annotations

from typing import Any

from ..lint.walk import operations, parameters, request_schema, resolve

__all__ = ["describe_operations", "example"]

PLACEHOLDERS: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False}


def _example(spec: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 6:
        return None
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {name: _example(spec, child, depth + 1) for name, child in properties.items()}
    if kind == "array":
        return [_example(spec, schema.get("items"), depth + 1)]
    if kind == "integer" and isinstance(schema.get("minimum"), int):
        return schema["minimum"]
    return PLACEHOLDERS.get(str(kind))


def example(schema: dict[str, Any]) -> Any:
    """A value of a plain JSON Schema (no ``$ref``) to start editing from."""
    return _example({}, schema)


def _parameter(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(spec, parameter.get("schema")) or {}
    return {
        "name": parameter.get("name"),
        "in": parameter.get("in"),
        "required": bool(parameter.get("required")),
        "description": parameter.get("description", ""),
        "type": schema.get("type", "string") if isinstance(schema, dict) else "string",
        "enum": schema.get("enum") if isinstance(schema, dict) else None,
        "default": schema.get("default") if isinstance(schema, dict) else None,
    }


def describe_operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    described = []
    for path, method, operation in operations(spec):
        body = request_schema(spec, operation)
        described.append(
            {
                "id": operation.get("operationId") or f"{method} {path}",
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary") or operation.get("description") or "",
                "parameters": [_parameter(spec, p) for p in parameters(spec, path, operation)],
                "body": None
                if body is None
                else {"media_type": body[0], "example": _example(spec, body[1])},
            }
        )
    return described
