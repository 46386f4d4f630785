"""MCP tools built from ``openapi.yaml``: one per operation, so the plugin's spec is the only
place a developer describes the API.

Each operation's path, query and JSON body parameters are flattened into one input schema (a
body property whose name is taken by a parameter gets the stable suffix ``_body``); the
description comes from ``summary``/``description``; annotations come from the HTTP method and
``x-openai-isConsequential``. The ``x-mcp`` extension on an operation renames the tool
(``name``), rewrites its description for MCP (``description``) or leaves it out
(``exclude: true``). Building never fails on a valid spec: what an MCP client would reject is
fixed up and reported in ``problems`` (``python main.py check`` shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs

from ..documents import PLACEHOLDER
from .schemas import json_schema, resolve

__all__ = ["Argument", "Tool", "ToolSet", "build_tools", "tool_problems"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]")
MAX_NAME = 64
JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
HEADER_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
HEADER_TYPES = frozenset({"string", "integer", "boolean"})


@dataclass(frozen=True, slots=True)
class Argument:
    """Where one tool argument goes in the HTTP request: ``path``, ``query`` or ``body``.

    ``key`` is its name in the API; ``body`` with ``key`` None is the whole body (a body
    schema that is not an object of properties).
    """

    name: str
    location: str
    key: str | None


@dataclass(frozen=True)
class Tool:
    name: str
    method: str
    path: str
    arguments: tuple[Argument, ...]
    has_body: bool
    definition: dict[str, Any]
    # (argument, header suffix): arguments a 2026-07-28 client mirrors in Mcp-Param-<suffix>
    headers: tuple[tuple[str, str], ...]
    validator: Any = field(compare=False, repr=False)  # a jsonschema_rs validator, or None

    def errors(self, arguments: dict[str, Any]) -> list[str]:
        """What is wrong with ``arguments`` against the input schema, for the model to fix."""
        if self.validator is None or self.validator.is_valid(arguments):
            return []
        found = []
        for error in self.validator.iter_errors(arguments):
            where = "/".join(str(part) for part in error.instance_path)
            found.append(f"{where}: {error.message}" if where else error.message)
        return sorted(found)


@dataclass(frozen=True)
class ToolSet:
    tools: dict[str, Tool]
    problems: tuple[str, ...]
    base_path: str

    @property
    def listing(self) -> list[dict[str, Any]]:
        """The ``tools/list`` entries, in spec order."""
        return [tool.definition for tool in self.tools.values()]


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], list[Any]]]:
    paths = spec.get("paths") or {}
    for path, item in paths.items():
        item = resolve(spec, item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield path, method, operation, shared


def _parameters(
    spec: dict[str, Any], shared: list[Any], operation: dict[str, Any]
) -> list[dict[str, Any]]:
    """Path-level parameters overridden by the operation's own, by (name, in)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(operation.get("parameters") or [])]:
        parameter = resolve(spec, raw)
        if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
            merged[(str(parameter["name"]), str(parameter["in"]))] = parameter
    return list(merged.values())


def _json_content(spec: dict[str, Any], holder: Any) -> Any:
    """The schema of the JSON media type in a requestBody or response, or None."""
    holder = resolve(spec, holder)
    if not isinstance(holder, dict):
        return None
    for media, content in (holder.get("content") or {}).items():
        if JSON_MEDIA.match(media.split(";")[0].strip()) and isinstance(content, dict):
            return content.get("schema", {})
    return None


def _with_description(schema: dict[str, Any], description: Any) -> dict[str, Any]:
    if isinstance(description, str) and description and "description" not in schema:
        return {**schema, "description": description}
    return schema


def _unique(name: str, taken: set[str], suffix: str) -> str:
    candidate = name if name not in taken else f"{name}{suffix}"
    number = 2
    while candidate in taken:
        candidate, number = f"{name}{suffix}{number}", number + 1
    taken.add(candidate)
    return candidate


class _Builder:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.problems: list[str] = []

    def header(
        self, where: str, name: str, raw: Any, schema: dict[str, Any], taken: dict[str, str]
    ) -> dict[str, Any]:
        """``schema`` with the ``x-mcp-header`` of its OpenAPI source, if that one is valid."""
        raw = resolve(self.spec, raw)
        suffix = raw.get("x-mcp-header") if isinstance(raw, dict) else None
        if suffix is None:
            return schema
        kind = schema.get("type")
        kinds = {kind} if isinstance(kind, str) else set(kind or ()) - {"null"}
        if not isinstance(suffix, str) or not HEADER_TOKEN.fullmatch(suffix):
            reason = "must be an HTTP header name token"
        elif suffix.lower() in taken:
            reason = f"is already used by {taken[suffix.lower()]!r}"
        elif len(kinds) != 1 or not kinds <= HEADER_TYPES:
            reason = "applies only to a string, integer or boolean"
        else:
            taken[suffix.lower()] = name
            return {**schema, "x-mcp-header": suffix}
        self.problems.append(f"{where}: x-mcp-header {suffix!r} of {name!r} {reason}; ignored")
        return schema

    def input(
        self, where: str, operation: dict[str, Any], shared: list[Any]
    ) -> tuple[dict[str, Any], tuple[Argument, ...], bool]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        arguments: list[Argument] = []
        taken: set[str] = set()
        headers: dict[str, str] = {}
        for parameter in _parameters(self.spec, shared, operation):
            location = parameter["in"]
            if location not in ("path", "query"):
                if parameter.get("required"):
                    self.problems.append(
                        f"{where}: required {location} parameter {parameter['name']!r} "
                        "cannot be set by an MCP client"
                    )
                continue
            name = _unique(str(parameter["name"]), taken, f"_{location}")
            schema = json_schema(self.spec, parameter.get("schema", {}))
            schema = self.header(where, name, parameter.get("schema"), schema, headers)
            properties[name] = _with_description(schema, parameter.get("description"))
            if location == "path" or parameter.get("required"):
                required.append(name)
            arguments.append(Argument(name, location, str(parameter["name"])))
        body = resolve(self.spec, operation.get("requestBody"))
        raw_schema = _json_content(self.spec, body)
        has_body = raw_schema is not None
        if has_body:
            body_required = bool(body.get("required"))
            schema = json_schema(self.spec, raw_schema)
            fields = schema.get("properties")
            if schema.get("type") == "object" and isinstance(fields, dict) and fields:
                wanted = set(schema.get("required") or ())
                sources = (resolve(self.spec, raw_schema) or {}).get("properties") or {}
                for key, item in fields.items():
                    name = _unique(key, taken, "_body")
                    properties[name] = self.header(where, name, sources.get(key), item, headers)
                    if body_required and key in wanted:
                        required.append(name)
                    arguments.append(Argument(name, "body", key))
            else:
                if schema.get("type") == "object":
                    self.problems.append(
                        f"{where}: the request body is an object without properties"
                    )
                name = _unique("body", taken, "_body")
                properties[name] = _with_description(schema, body.get("description"))
                if body_required:
                    required.append(name)
                arguments.append(Argument(name, "body", None))
        input_schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            input_schema["required"] = required
        return input_schema, tuple(arguments), has_body

    def output(self, where: str, operation: dict[str, Any]) -> dict[str, Any] | None:
        responses = operation.get("responses") or {}
        for status, response in sorted((str(code), value) for code, value in responses.items()):
            if status.startswith("2"):
                raw = _json_content(self.spec, response)
                schema = json_schema(self.spec, raw) if raw is not None else {}
                if schema.get("type") != "object":
                    return None
                if not schema.get("properties"):
                    self.problems.append(
                        f"{where}: the {status} answer is an object without properties"
                    )
                return schema
        return None


def _description(
    where: str, operation: dict[str, Any], extension: dict[str, Any]
) -> tuple[str, bool]:
    if isinstance(extension.get("description"), str) and extension["description"].strip():
        return extension["description"].strip(), True
    parts = [
        str(operation[key]).strip()
        for key in ("summary", "description")
        if isinstance(operation.get(key), str) and operation[key].strip()
    ]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    return "\n\n".join(parts), bool(parts)


def _annotations(method: str, operation: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, Any] = {"readOnlyHint": method == "get"}
    if method == "delete":
        annotations["destructiveHint"] = True
    if method in ("put", "delete"):
        annotations["idempotentHint"] = True
    consequential = operation.get("x-openai-isConsequential")
    if consequential is True:
        annotations.update(readOnlyHint=False, destructiveHint=True)
    elif consequential is False and method != "get":
        annotations["destructiveHint"] = False
    return annotations


def _base_path(spec: dict[str, Any]) -> str:
    """The path prefix of the first server URL: where the operations live on this app."""
    servers = spec.get("servers") or [{}]
    url = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
    url = url.replace(PLACEHOLDER, "http://plugin")
    return urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")


def build_tools(spec: dict[str, Any]) -> ToolSet:
    """Every tool the spec defines, with the problems found on the way."""
    builder = _Builder(spec)
    tools: dict[str, Tool] = {}
    for path, method, operation, shared in _operations(spec):
        where = f"{method.upper()} {path}"
        extension = operation.get("x-mcp") or {}
        if not isinstance(extension, dict):
            builder.problems.append(
                f"{where}: x-mcp must be a mapping (name, description, exclude)"
            )
            extension = {}
        if extension.get("exclude") is True:
            continue
        wanted = str(extension.get("name") or operation.get("operationId") or "")
        if not wanted:
            wanted = f"{method}_{path}"
            builder.problems.append(f"{where}: no operationId; the tool is named {wanted!r}")
        name = NAME_CHARACTERS.sub("_", wanted).strip("_")[:MAX_NAME] or method
        if name != wanted and (extension.get("name") or operation.get("operationId")):
            builder.problems.append(
                f"{where}: {wanted!r} is not a valid MCP tool name ([A-Za-z0-9_.-], at most "
                f"{MAX_NAME}); it is served as {name!r}"
            )
        if name in tools:
            number = 2
            while f"{name[: MAX_NAME - 4]}_{number}" in tools:
                number += 1
            unique = f"{name[: MAX_NAME - 4]}_{number}"
            builder.problems.append(f"{where}: tool name {name!r} is taken; served as {unique!r}")
            name = unique
        description, described = _description(where, operation, extension)
        if not described:
            description = f"{method.upper()} {path}"
            builder.problems.append(f"{where}: no summary or description for the model")
        input_schema, arguments, has_body = builder.input(where, operation, shared)
        definition: dict[str, Any] = {
            "name": name,
            "description": description,
            "inputSchema": input_schema,
            "annotations": _annotations(method, operation),
        }
        output_schema = builder.output(where, operation)
        if output_schema is not None:
            definition["outputSchema"] = output_schema
        try:
            validator = jsonschema_rs.validator_for(input_schema)
        except ValueError as error:
            validator = None
            reason = str(error).splitlines()[0]
            builder.problems.append(f"{where}: the input schema is not valid JSON Schema: {reason}")
        tools[name] = Tool(
            name=name,
            method=method.upper(),
            path=path,
            arguments=arguments,
            has_body=has_body,
            definition=definition,
            headers=tuple(
                (argument, schema["x-mcp-header"])
                for argument, schema in input_schema["properties"].items()
                if "x-mcp-header" in schema
            ),
            validator=validator,
        )
    return ToolSet(tools, tuple(builder.problems), _base_path(spec))


def tool_problems(spec: dict[str, Any]) -> list[str]:
    """What an MCP client would reject or a model could not use, one line each."""
    return list(build_tools(spec).problems)
