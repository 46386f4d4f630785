"""The spec's schemas compiled once per spec version, and their failures told without values.

jsonschema_rs (Rust) validates: a small TODO body in about 0.5 us and a path parameter in 0.3 us
where openapi-schema-validator (pure Python, on ``jsonschema``) took tens of microseconds for the
same checks, and it implements JSON Schema 2020-12, which is OpenAPI 3.1's dialect. An OpenAPI
3.0 schema is first made standalone 2020-12 by the same translation the MCP tools use
(``nullable`` becomes a ``null`` type, boolean exclusive bounds numeric, local ``$ref``s inlined).

JSON Schema counts ``0.0`` as an integer; here an integer is written as one, as Python and the
databases read it (``0.0`` reaches a handler as a float, which PostgreSQL refuses as an index):
every ``integer`` type gets the ``x-integer`` keyword below, about 1.5 us per checked value.

A failure is described from its kind and the schema's limit, never from the value: a request's
value may be a secret, and an answer checked under ``PLUGIN_CHECK_RESPONSES`` goes to the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonschema_rs

from ..mcp.schemas import json_schema

__all__ = ["MAX_REPORTED", "Schema", "SchemaProblem", "compile_schema", "where"]

MAX_REPORTED = 3  # failures named in one answer; the client fixes those and tries again
ARTICLES = {"integer": "an integer", "object": "an object", "array": "an array"}
WHOLE = "x-integer"
VALUES = frozenset({"enum", "const", "default", "examples"})  # data, not schemas


class WrittenAsInteger:
    """jsonschema_rs keyword: a JSON number written with a fraction or exponent is a float."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        pass

    def validate(self, instance: Any) -> None:
        """Refuse a float where the schema asks for an integer."""
        if type(instance) is float:
            raise ValueError("must be an integer")


def _integers_written(schema: Any) -> Any:
    """``schema`` with :data:`WHOLE` beside every ``integer`` type a float does not also meet."""
    if isinstance(schema, list):
        return [_integers_written(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: value if key in VALUES else _integers_written(value) for key, value in schema.items()
    }
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and "number" not in kinds:
        out[WHOLE] = True
    return out


class SchemaProblem(ValueError):
    """A schema jsonschema_rs cannot compile; the message is its first line."""


def _listed(values: Sequence[Any]) -> str:
    shown = [repr(value) if isinstance(value, str) else str(value) for value in values[:10]]
    more = ", ..." if len(values) > 10 else ""
    return ", ".join(shown) + more


def _type(types: Sequence[str]) -> str:
    named = [ARTICLES.get(kind, kind) for kind in types if kind != "null"]
    text = " or ".join(named) if named else "null"
    return f"must be {text}" + (" or null" if "null" in types and named else "")


def _characters(count: Any) -> str:
    return "1 character" if count == 1 else f"{count} characters"


def _described(kind: Any) -> str:
    """What a failure asks for, from its kind and the schema's limit alone."""
    name: str = kind.name
    detail: dict[str, Any] = kind.as_dict()
    limit = detail.get("limit")
    simple = {
        "maxLength": f"must be at most {_characters(limit)}",
        "minLength": "must not be empty"
        if limit == 1
        else f"must be at least {_characters(limit)}",
        "maximum": f"must be at most {limit}",
        "minimum": f"must be at least {limit}",
        "exclusiveMaximum": f"must be less than {limit}",
        "exclusiveMinimum": f"must be more than {limit}",
        "maxItems": f"must have at most {limit} items",
        "minItems": f"must have at least {limit} items",
        "maxProperties": f"must have at most {limit} properties",
        "minProperties": f"must have at least {limit} properties",
        "multipleOf": f"must be a multiple of {detail.get('multiple_of')}",
        "uniqueItems": "must not repeat an item",
        "format": f"must be a valid {detail.get('format')}",
    }
    if name in simple:
        return simple[name]
    if name == "type":
        return _type(detail.get("types") or [])
    if name == WHOLE:
        return "must be an integer"
    if name == "enum":
        return f"must be one of {_listed(detail.get('options') or [])}"
    if name == "const":
        return f"must be {_listed([detail.get('expected_value')])}"
    if name == "pattern":
        return f"must match the pattern {detail.get('pattern')}"
    if name == "required":
        return f"needs '{str(detail.get('property'))[:100]}'"
    if name in ("additionalProperties", "unevaluatedProperties"):
        unexpected = [str(item)[:100] for item in detail.get("unexpected") or []]
        return f"may not have {_listed(unexpected)}"
    return f"breaks the schema's {name} rule"


def where(path: Sequence[str | int]) -> str:
    """A JSON path as a client reads it: ``items[2].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Schema:
    """One compiled schema: ``is_valid`` for the common case, ``problems`` to say why not."""

    __slots__ = ("_validator", "is_valid")

    def __init__(self, validator: Any) -> None:
        self._validator = validator
        self.is_valid = validator.is_valid

    def problems(self, value: Any) -> list[tuple[str, str]]:
        """(JSON path, what it must be) of the first failures."""
        found = []
        for error in self._validator.iter_errors(value):
            found.append((where(error.instance_path), _described(error.kind)))
            if len(found) == MAX_REPORTED:
                break
        return found


def compile_schema(spec: dict[str, Any], schema: Any) -> Schema:
    """``schema`` (an OpenAPI schema object of ``spec``) compiled; or :class:`SchemaProblem`."""
    try:
        standalone = _integers_written(json_schema(spec, schema))
        validator = jsonschema_rs.validator_for(standalone, keywords={WHOLE: WrittenAsInteger})
        return Schema(validator)
    except ValueError as error:
        raise SchemaProblem(str(error).splitlines()[0]) from None
