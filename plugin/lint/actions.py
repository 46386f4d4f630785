"""Rules GPT Actions add on top of the plugin rules: their own description limits (300
characters per operation, 700 per parameter), object schemas the model cannot fill, and
``x-openai-isConsequential``."""

from __future__ import annotations

from typing import Any

from .findings import Finding, error, too_long
from .openapi import operation_path
from .walk import operations, parameters, request_schema, resolve

__all__ = ["check_actions"]

OPERATION_LIMIT = 300
PARAMETER_LIMIT = 700
WHO = "GPT Actions"


def _limit(where: str, text: Any, limit: int) -> list[Finding]:
    return too_long(where, text, limit, WHO)


def _bare_objects(spec: dict[str, Any], schema: Any, where: str, depth: int = 0) -> list[Finding]:
    """Object schemas without ``properties``: the model is given no argument names, and the
    call fails with UnrecognizedKwargsError."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 10:
        return []
    found = []
    is_object = schema.get("type") == "object" or (
        "type" not in schema and "additionalProperties" in schema
    )
    properties = schema.get("properties")
    if is_object and not properties and not any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        found.append(
            error(
                where,
                "is an object schema without properties; GPT Actions fail such calls "
                "(UnrecognizedKwargsError)",
                "list the fields under properties (with types and descriptions)",
            )
        )
    for name, child in (properties or {}).items() if isinstance(properties, dict) else ():
        found += _bare_objects(spec, child, f"{where}.properties.{name}", depth + 1)
    if "items" in schema:
        found += _bare_objects(spec, schema["items"], f"{where}.items", depth + 1)
    return found


def check_actions(spec: Any) -> list[Finding]:
    if not isinstance(spec, dict):
        return []
    found = []
    for path, method, operation in operations(spec):
        for key in ("summary", "description"):
            found += _limit(operation_path(path, method, key), operation.get(key), OPERATION_LIMIT)
        for parameter in parameters(spec, path, operation):
            where = operation_path(path, method, f"parameters.{parameter.get('name')}")
            found += _limit(f"{where}.description", parameter.get("description"), PARAMETER_LIMIT)
            found += _bare_objects(spec, parameter.get("schema"), f"{where}.schema")
        body = request_schema(spec, operation)
        if body is not None:
            where = operation_path(path, method, f"requestBody.content.{body[0]}.schema")
            found += _bare_objects(spec, body[1], where)
        consequential = operation.get("x-openai-isConsequential")
        if consequential is not None and not isinstance(consequential, bool):
            found.append(
                error(
                    operation_path(path, method, "x-openai-isConsequential"),
                    "must be true or false",
                    "write x-openai-isConsequential: true (ask before calling) or false",
                )
            )
    return found
