"""MCP tools built from ``openapi.yaml``: one per operation, so the plugin's spec is the only
place a developer describes the API.

Each operation's path, query and JSON body parameters are flattened into one input schema (a
body property whose name is taken by a parameter gets the stable suffix ``_body``); the
description comes from ``summary``/``description``; the annotations from the HTTP method and
``x-openai-isConsequential`` (see ``hints``). The ``x-mcp`` extension on an operation renames the
tool (``name``), rewrites its description for MCP (``description``), overrides a hint or the
``title``, opts out of confirmation (``confirm: false``), names its paging (``paging``) or leaves
it out (``exclude: true``). Building never fails on a valid spec: what an MCP client would reject is
fixed up and reported in ``problems`` (``python main.py check`` shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import jsonschema_rs

from ..documents import PLACEHOLDER
from .hints import derive_hints
from .paging import Paging, find_paging
from .schemas import json_schema, resolve

__all__ = ["Argument", "Tool", "ToolProblem", "ToolSet", "build_tools"]

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
    confirm: bool = False  # a 2026-07-28 client asks the user before it runs
    paging: Paging | None = None  # the operation's own limit/offset paging

    def errors(self, arguments: dict[str, Any]) -> list[str]:
        """What is wrong with ``arguments`` against the input schema, for the model to fix."""
        if self.validator is None or self.validator.is_valid(arguments):
            return []
        found = []
        for error in self.validator.iter_errors(arguments):
            where = "/".join(str(part) for part in error.instance_path)
            found.append(f"{where}: {error.message}" if where else error.message)
        return sorted(found)


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ToolProblem:
    """One problem with the tool of one operation, precise enough for a linter finding.

    ``field`` is where in the operation it lies ("" for the operation itself); ``severity`` is
    ``error`` for what an MCP client or the model cannot work with at all, ``warning`` for what
    only makes the tool harder to use.
    """

    severity: Severity
    method: str
    path: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}: {self.message}"


@dataclass(frozen=True)
class ToolSet:
    tools: dict[str, Tool]
    issues: tuple[ToolProblem, ...]
    base_path: str

    @property
    def problems(self) -> tuple[str, ...]:
        """The issues one line each, as a log or a test reads them."""
        return tuple(map(str, self.issues))

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


def _json_content(spec: dict[str, Any], holder: Any) -> tuple[str, Any] | None:
    """(media type, schema) of the JSON media type in a requestBody or response, or None."""
    holder = resolve(spec, holder)
    if not isinstance(holder, dict):
        return None
    for media, content in (holder.get("content") or {}).items():
        if JSON_MEDIA.match(media.split(";")[0].strip()) and isinstance(content, dict):
            return str(media), content.get("schema", {})
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


Where = tuple[str, str]  # (method, path) of the operation being built


class _Builder:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.problems: list[ToolProblem] = []

    def problem(
        self, where: Where, field: str, message: str, fix: str, *, severity: Severity = "warning"
    ) -> None:
        self.problems.append(ToolProblem(severity, *where, field, message, fix))

    def header(
        self,
        where: Where,
        field: str,
        name: str,
        raw: Any,
        schema: dict[str, Any],
        taken: dict[str, str],
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
        self.problem(
            where,
            f"{field}.x-mcp-header",
            f"x-mcp-header {suffix!r} of {name!r} {reason}; ignored",
            "use a header name of its own (letters, digits, -) on a string, integer or boolean",
        )
        return schema

    def input(
        self, where: Where, operation: dict[str, Any], shared: list[Any]
    ) -> tuple[dict[str, Any], tuple[Argument, ...], bool]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        arguments: list[Argument] = []
        taken: set[str] = set()
        headers: dict[str, str] = {}
        for parameter in _parameters(self.spec, shared, operation):
            location = parameter["in"]
            field = f"parameters.{parameter['name']}"
            if location not in ("path", "query"):
                if parameter.get("required"):
                    self.problem(
                        where,
                        field,
                        f"required {location} parameter {parameter['name']!r} "
                        "cannot be set by an MCP client",
                        "make it optional, or take it as a query parameter",
                        severity="error",
                    )
                continue
            name = _unique(str(parameter["name"]), taken, f"_{location}")
            schema = json_schema(self.spec, parameter.get("schema", {}))
            schema = self.header(
                where, f"{field}.schema", name, parameter.get("schema"), schema, headers
            )
            properties[name] = _with_description(schema, parameter.get("description"))
            if location == "path" or parameter.get("required"):
                required.append(name)
            arguments.append(Argument(name, location, str(parameter["name"])))
        body = resolve(self.spec, operation.get("requestBody"))
        content = _json_content(self.spec, body)
        if content is not None:
            media, raw_schema = content
            field = f"requestBody.content.{media}.schema"
            body_required = bool(body.get("required"))
            schema = json_schema(self.spec, raw_schema)
            fields = schema.get("properties")
            if schema.get("type") == "object" and isinstance(fields, dict) and fields:
                wanted = set(schema.get("required") or ())
                sources = (resolve(self.spec, raw_schema) or {}).get("properties") or {}
                for key, item in fields.items():
                    name = _unique(key, taken, "_body")
                    properties[name] = self.header(
                        where, f"{field}.properties.{key}", name, sources.get(key), item, headers
                    )
                    if body_required and key in wanted:
                        required.append(name)
                    arguments.append(Argument(name, "body", key))
            else:
                if schema.get("type") == "object":
                    self.problem(
                        where,
                        field,
                        "the request body is an object without properties",
                        "list the fields under properties, so the model knows what to send",
                    )
                name = _unique("body", taken, "_body")
                properties[name] = _with_description(schema, body.get("description"))
                if body_required:
                    required.append(name)
                arguments.append(Argument(name, "body", None))
        input_schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            input_schema["required"] = required
        return input_schema, tuple(arguments), content is not None

    def output(self, where: Where, operation: dict[str, Any]) -> dict[str, Any] | None:
        responses = operation.get("responses") or {}
        for status, response in sorted((str(code), value) for code, value in responses.items()):
            if status.startswith("2"):
                content = _json_content(self.spec, response)
                schema = json_schema(self.spec, content[1]) if content is not None else {}
                if content is None or schema.get("type") != "object":
                    return None
                if not schema.get("properties"):
                    self.problem(
                        where,
                        f"responses.{status}.content.{content[0]}.schema",
                        f"the {status} answer is an object without properties",
                        "list its fields under properties, so clients can read structuredContent",
                    )
                return schema
        return None


def _description(operation: dict[str, Any], extension: dict[str, Any]) -> tuple[str, bool]:
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


def _base_path(spec: dict[str, Any]) -> str:
    """The path prefix of the first server URL: where the operations live on this app."""
    servers = spec.get("servers") or [{}]
    url = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
    url = url.replace(PLACEHOLDER, "http://plugin")
    return urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")


def _name(
    builder: _Builder,
    where: Where,
    operation: dict[str, Any],
    extension: dict[str, Any],
    tools: dict[str, Tool],
) -> str:
    """The tool's name: ``x-mcp.name``, else the operationId, made valid and unique."""
    field = "x-mcp.name" if extension.get("name") else "operationId"
    wanted = str(extension.get("name") or operation.get("operationId") or "")
    if not wanted:
        wanted = f"{where[0]}_{where[1]}"
        builder.problem(
            where,
            field,
            f"no operationId; the tool is named {wanted!r}",
            "add an operationId such as getTodos",
            severity="error",
        )
    name = NAME_CHARACTERS.sub("_", wanted).strip("_")[:MAX_NAME] or where[0]
    if name != wanted and (extension.get("name") or operation.get("operationId")):
        builder.problem(
            where,
            field,
            f"{wanted!r} is not a valid MCP tool name ([A-Za-z0-9_.-], at most {MAX_NAME}); "
            f"it is served as {name!r}",
            f"rename it {name!r} (or set x-mcp: {{name: ...}})",
            severity="error",
        )
    if name in tools:
        number = 2
        while f"{name[: MAX_NAME - 4]}_{number}" in tools:
            number += 1
        unique = f"{name[: MAX_NAME - 4]}_{number}"
        builder.problem(
            where,
            field,
            f"tool name {name!r} is taken by {tools[name].method} {tools[name].path}; "
            f"served as {unique!r}",
            "give each tool its own name (x-mcp: {name: ...} renames only the tool)",
            severity="error",
        )
        name = unique
    return name


def build_tools(spec: dict[str, Any]) -> ToolSet:
    """Every tool the spec defines, with the problems found on the way."""
    builder = _Builder(spec)
    tools: dict[str, Tool] = {}
    for path, method, operation, shared in _operations(spec):
        where = (method, path)
        extension = operation.get("x-mcp") or {}
        if not isinstance(extension, dict):
            builder.problem(
                where,
                "x-mcp",
                "x-mcp must be a mapping (name, description, title, hints, exclude); ignored",
                "write x-mcp: {name: ..., description: ...} or x-mcp: {exclude: true}",
            )
            extension = {}
        if extension.get("exclude") is True:
            continue
        name = _name(builder, where, operation, extension, tools)
        description, described = _description(operation, extension)
        if not described:
            description = f"{method.upper()} {path}"
            builder.problem(
                where,
                "",
                "no summary or description for the model",
                "add a summary saying what the operation does (or x-mcp: {description: ...})",
            )
        input_schema, arguments, has_body = builder.input(where, operation, shared)
        hints = derive_hints(method, name, operation, extension)
        for problem in hints.problems:
            builder.problem(
                where, problem.field, problem.message, problem.fix, severity=problem.severity
            )
        definition: dict[str, Any] = {
            "name": name,
            "title": hints.annotations["title"],
            "description": description,
            "inputSchema": input_schema,
            "annotations": hints.annotations,
        }
        output_schema = builder.output(where, operation)
        if output_schema is not None:
            definition["outputSchema"] = output_schema
        query = {str(a.key): a.name for a in arguments if a.location == "query"}
        paging, unusable = find_paging(query, output_schema, extension)
        if unusable:
            builder.problem(
                where,
                "x-mcp.paging",
                f"{unusable}; results over a client's size limit are refused, not paged",
                "name the operation's limit and offset parameters and its next-page field",
            )
        try:
            validator = jsonschema_rs.validator_for(input_schema)
        except ValueError as error:
            validator = None
            reason = str(error).splitlines()[0]
            builder.problem(
                where,
                "parameters",
                f"the input schema is not valid JSON Schema: {reason}",
                "correct the parameter or body schema; until then arguments are not checked",
                severity="error",
            )
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
            confirm=hints.confirm,
            paging=paging,
        )
    return ToolSet(tools, tuple(builder.problems), _base_path(spec))
