"""The spec and the handlers, compiled once per version into what the router runs.

Each operation of ``openapi.yaml`` becomes a Werkzeug rule, its parameters and body become
compiled checks, and its ``operationId`` names its handler. Every mismatch between the spec and
``handlers.py`` is found here, before a request arrives, and told in one line.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..lint.walk import operations, parameters, resolve
from .handlers import HANDLERS_FILE, Handlers
from .parameters import Parameter, compile_parameter
from .schemas import Schema, SchemaProblem, compile_schema

__all__ = ["Body", "Operation", "OperationsProblem", "compile_operations", "is_json"]

RESERVED = ("body", "caller", "db")  # what a handler may take besides its parameters
TEMPLATE = re.compile(r"\{([^{}]+)\}")
SPEC_FILE = "openapi.yaml"


class OperationsProblem(ValueError):
    """The spec and the handlers disagree; the message is one line saying where and how.

    ``spec_rule`` is set for what the linter's OpenAPI rules already report (an operationId
    missing or repeated), so ``check`` says it once."""

    def __init__(self, message: str, spec_rule: bool = False) -> None:
        super().__init__(message)
        self.spec_rule = spec_rule


def is_json(media_type: str) -> bool:
    """``application/json`` or a ``+json`` type (``application/problem+json``)."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


@dataclass(frozen=True, slots=True)
class Body:
    """An operation's request body: JSON is parsed strictly and checked against ``schema``;
    another media type reaches the handler as bytes."""

    required: bool
    media_types: tuple[str, ...]
    schema: Schema | None  # None: not JSON, or JSON of any shape
    json: bool


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation, ready to serve."""

    operation_id: str
    method: str
    path: str  # as the spec writes it
    rule: str  # as Werkzeug matches it
    handler: Callable[..., Awaitable[Any]]
    parameters: tuple[Parameter, ...]
    body: Body | None
    takes: frozenset[str]  # the arguments the handler names
    responses: dict[str, Schema | None]  # by status ("200", "4XX", "default")


def _label(method: str, path: str, operation_id: str | None = None) -> str:
    return f"{method.upper()} {path}" + (f" ({operation_id})" if operation_id else "")


def _schema(spec: dict[str, Any], schema: Any, where: str) -> Schema | None:
    if schema is None:
        return None
    try:
        return compile_schema(spec, schema)
    except SchemaProblem as problem:
        raise OperationsProblem(
            f"{SPEC_FILE}: {where}: the schema does not compile: {problem}"
        ) from None


def _body(spec: dict[str, Any], operation: dict[str, Any], where: str) -> Body | None:
    declared = resolve(spec, operation.get("requestBody"))
    if not isinstance(declared, dict) or not isinstance(declared.get("content"), dict):
        return None
    content: dict[str, Any] = declared["content"]
    json_types = [media for media in content if is_json(str(media))]
    schema = None
    if json_types:
        media = resolve(spec, content[json_types[0]])
        found = media.get("schema") if isinstance(media, dict) else None
        schema = _schema(spec, found, f"{where} request body")
    return Body(
        required=bool(declared.get("required")),
        media_types=tuple(str(media) for media in content),
        schema=schema,
        json=bool(json_types),
    )


def _responses(spec: dict[str, Any], operation: dict[str, Any], where: str) -> dict[str, Any]:
    found: dict[str, Schema | None] = {}
    for status, declared in (operation.get("responses") or {}).items():
        response = resolve(spec, declared)
        content = response.get("content") if isinstance(response, dict) else None
        media = next(
            (resolve(spec, value) for key, value in (content or {}).items() if is_json(key)), None
        )
        schema = media.get("schema") if isinstance(media, dict) else None
        found[str(status).upper()] = _schema(spec, schema, f"{where} response {status}")
    return found


def _rule(path: str, by_name: dict[str, Parameter], where: str) -> str:
    """The Werkzeug rule of ``path``: a numeric path parameter is matched by its type and
    bounds (``routes.NumberSegment``), so ``/todos/ann/abc`` names no todo (404) as before."""

    def variable(match: re.Match[str]) -> str:
        parameter = by_name.get(match.group(1))
        if parameter is None:
            raise OperationsProblem(
                f"{SPEC_FILE}: {where}: the path has {{{match.group(1)}}} "
                "but no path parameter of that name"
            )
        if parameter.type in ("integer", "number"):
            bounds = parameter.bounds
            arguments = ",".join(f"{key}={value!r}" for key, value in bounds.items())
            return f"<number({arguments}):{parameter.argument}>"
        return f"<{parameter.argument}>"

    rule = TEMPLATE.sub(variable, path)
    named = set(TEMPLATE.findall(path))
    for name in by_name:
        if name not in named:
            raise OperationsProblem(
                f"{SPEC_FILE}: {where}: path parameter '{name}' is not in the path"
            )
    return rule


def _parameters(
    spec: dict[str, Any], path: str, operation: dict[str, Any], where: str
) -> tuple[Parameter, ...]:
    found: list[Parameter] = []
    arguments: dict[str, str] = {}
    for declared in parameters(spec, path, operation):
        try:
            parameter = compile_parameter(spec, declared)
        except ValueError as problem:
            raise OperationsProblem(f"{SPEC_FILE}: {where}: {problem}") from None
        if parameter is None:
            continue
        taken = arguments.get(parameter.argument)
        if taken is not None or parameter.argument in RESERVED:
            other = f"{taken}" if taken else "a handler's own argument"
            raise OperationsProblem(
                f"{SPEC_FILE}: {where}: {parameter.label} would be the handler argument "
                f"'{parameter.argument}', which is already {other}; rename one"
            )
        arguments[parameter.argument] = parameter.label
        found.append(parameter)
    return tuple(found)


def _takes(handler: Callable[..., Any], given: list[str], where: str) -> frozenset[str]:
    """The arguments ``handler`` names, each one the router gives."""
    name = handler.__name__
    for argument in inspect.signature(handler).parameters.values():
        if argument.kind in (argument.VAR_POSITIONAL, argument.VAR_KEYWORD):
            raise OperationsProblem(
                f"{HANDLERS_FILE}: {name} takes *{argument.name}; name each argument it needs "
                f"(for {where}: {', '.join(given)})"
            )
        if argument.kind is argument.POSITIONAL_ONLY or argument.name not in given:
            raise OperationsProblem(
                f"{HANDLERS_FILE}: {name} takes '{argument.name}', which {where} does not give "
                f"(it gives: {', '.join(given)})"
            )
    return frozenset(inspect.signature(handler).parameters)


def compile_operations(spec: dict[str, Any], handlers: Handlers) -> tuple[Operation, ...]:
    """Every operation of ``spec`` bound to its handler, or :class:`OperationsProblem`."""
    compiled: list[Operation] = []
    seen: dict[str, str] = {}
    for path, method, operation in operations(spec):
        operation_id = operation.get("operationId")
        where = _label(method, path, operation_id if isinstance(operation_id, str) else None)
        if not isinstance(operation_id, str):
            raise OperationsProblem(
                f"{SPEC_FILE}: {where} has no operationId, so no handler can answer it", True
            )
        if operation_id in seen:
            raise OperationsProblem(
                f"{SPEC_FILE}: {where}: operationId {operation_id} is also {seen[operation_id]}",
                True,
            )
        seen[operation_id] = _label(method, path)
        handler = handlers.get(operation_id)
        if handler is None:
            raise OperationsProblem(
                f"{SPEC_FILE}: {where} has no handler: define async def {operation_id}(...) "
                f"in {HANDLERS_FILE}"
            )
        declared = _parameters(spec, path, operation, where)
        body = _body(spec, operation, where)
        given = [parameter.argument for parameter in declared]
        given += ["body", "caller", "db"] if body is not None else ["caller", "db"]
        compiled.append(
            Operation(
                operation_id=operation_id,
                method=method.upper(),
                path=path,
                rule=_rule(path, {p.name: p for p in declared if p.location == "path"}, where),
                handler=handler,
                parameters=declared,
                body=body,
                takes=_takes(handler, given, where),
                responses=_responses(spec, operation, where),
            )
        )
    for name in handlers:
        if name not in seen:
            raise OperationsProblem(
                f"{HANDLERS_FILE}: {name} is not an operationId of {SPEC_FILE} "
                "(add the operation, or start the function's name with _ to keep it private)"
            )
    return tuple(compiled)
