"""A spec parameter as the router reads it: found in the request, coerced to the declared type
(OpenAPI's ``style``/``explode`` for arrays), defaulted, then checked against its schema."""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..lint.walk import resolve
from ..mcp.schemas import json_schema
from .schemas import Schema, SchemaProblem, compile_schema

__all__ = ["LOCATIONS", "NotCoercible", "Parameter", "argument_name", "compile_parameter"]

LOCATIONS = ("path", "query", "header", "cookie")
# OpenAPI 3.x, "Parameter Object": a header parameter of these names "SHALL be ignored".
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
INTEGER = re.compile(r"-?[0-9]+")  # int() would also take "1_000", " 7" and "٣"
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
BOOLEANS = {"true": True, "false": False}
DEFAULT_STYLES = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
DELIMITERS = {"simple": ",", "form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


class NotCoercible(ValueError):
    """A raw value that is not of the parameter's type; the message says what it must be."""


def argument_name(name: str) -> str:
    """The handler argument a spec name binds to: itself if it is an identifier, else snake_case
    (``X-Trace-Id`` -> ``x_trace_id``)."""
    if name.isidentifier() and not keyword.iskeyword(name):
        return name
    snake = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_").lower()
    if not snake or snake[0].isdigit() or keyword.iskeyword(snake):
        snake = f"p_{snake}"
    return snake


def _integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise NotCoercible("must be an integer")
    try:
        return int(text)
    except ValueError:  # more digits than the interpreter converts
        raise NotCoercible("must be an integer of at most 4300 digits") from None


def _number(text: str) -> int | float:
    if INTEGER.fullmatch(text):
        return _integer(text)
    if not NUMBER.fullmatch(text) or not math.isfinite(value := float(text)):
        raise NotCoercible("must be a number")
    return value


def _boolean(text: str) -> bool:
    value = BOOLEANS.get(text.lower())
    if value is None:
        raise NotCoercible("must be true or false")
    return value


def _text(text: str) -> str:
    return text


READERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
}


def declared_type(spec: dict[str, Any], schema: Any) -> str | None:
    """The one type a schema declares (3.1's ``[integer, "null"]`` is ``integer``), if any."""
    schema = resolve(spec, schema)
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kinds = [item for item in kind if item != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of one operation, ready to read from a request."""

    name: str  # as the spec (and the client) spells it
    argument: str  # the handler's name for it
    location: str
    required: bool
    default: Any
    has_default: bool
    exploded: bool  # an array given as the name repeated (``?id=1&id=2``)
    delimiter: str | None  # an array given in one value, split on this
    read: Callable[[str], Any]
    schema: Schema
    type: str | None
    bounds: dict[str, Any]  # a number's: integer, minimum, maximum, exclusive_minimum, ...

    def coerce(self, raw: str | list[str]) -> Any:
        """The raw value(s) as the declared type, or :class:`NotCoercible`."""
        if isinstance(raw, list):
            return [self.read(item) for item in raw]
        if self.delimiter is not None:
            return [self.read(item) for item in raw.split(self.delimiter)] if raw else []
        return self.read(raw)

    @property
    def label(self) -> str:
        return f"{self.location} parameter '{self.name}'"


def compile_parameter(spec: dict[str, Any], declared: dict[str, Any]) -> Parameter | None:
    """The parameter ``declared`` in the spec; None for one OpenAPI says to ignore.

    A parameter the router cannot read as declared raises ValueError saying why."""
    name, location = str(declared.get("name")), str(declared.get("in"))
    if location not in LOCATIONS:
        raise ValueError(f"parameter '{name}' is in {location!r}, not one of {LOCATIONS}")
    if location == "header" and name.lower() in IGNORED_HEADERS:
        return None
    if "schema" not in declared:
        raise ValueError(f"{location} parameter '{name}' has no schema (content is not supported)")
    schema = resolve(spec, declared["schema"])
    kind = declared_type(spec, schema)
    if kind == "object":
        raise ValueError(f"{location} parameter '{name}' is an object, which is not supported")
    style = declared.get("style", DEFAULT_STYLES[location])
    explode = declared.get("explode", style == "form")
    exploded = kind == "array" and location == "query" and bool(explode) and style == "form"
    delimiter = DELIMITERS.get(str(style), ",") if kind == "array" and not exploded else None
    item_kind = declared_type(spec, schema.get("items")) if kind == "array" else kind
    try:
        compiled = compile_schema(spec, schema)
    except SchemaProblem as problem:
        raise ValueError(f"{location} parameter '{name}': {problem}") from None
    has_default = isinstance(schema, dict) and "default" in schema
    default = schema["default"] if has_default else None
    if has_default and not compiled.is_valid(default):
        raise ValueError(f"{location} parameter '{name}': its default breaks its own schema")
    return Parameter(
        name=name,
        argument=argument_name(name),
        location=location,
        required=bool(declared.get("required")) or location == "path",
        default=default,
        has_default=has_default,
        exploded=exploded,
        delimiter=delimiter,
        read=READERS.get(str(item_kind), _text),
        schema=compiled,
        type=kind,
        bounds=_bounds(spec, schema, kind),
    )


def _bounds(spec: dict[str, Any], schema: Any, kind: str | None) -> dict[str, Any]:
    if kind not in ("integer", "number"):
        return {}
    standalone = json_schema(spec, schema)  # 3.0's boolean exclusive bounds made numeric
    found: dict[str, Any] = {"integer": kind == "integer"}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(standalone.get(key), int | float):
            found[re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()] = standalone[key]
    return found
