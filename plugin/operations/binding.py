"""A request read as one operation's arguments, each checked against the spec before the
handler runs: a client's mistake is a 4xx in the one envelope, naming the parameter (or the
body's JSON path) and what it must be, and the handler never sees it.

Malformed is 400 (not JSON, not UTF-8); a JSON body under another media type is 415, because
``text/plain``, a form or no type at all is what any web page may send to a localhost server
without a CORS preflight; a value the spec refuses is 422, as the spec's ``Invalid`` says.
"""

from __future__ import annotations

from typing import Any, cast

from quart import Request

from ..errors import BadRequest, UnsupportedMediaType, ValidationFailed
from ..strict_json import NotJSON, RefusedValue, parse
from .compiled import Body, Operation, is_json
from .parameters import NotCoercible, Parameter

__all__ = ["read_arguments"]


def _refused(parameter: Parameter, problems: list[tuple[str, str]]) -> ValidationFailed:
    said = "; ".join(f"{parameter.label}{where and ' ' + where} {what}" for where, what in problems)
    return ValidationFailed(said + ".")


def _checked(parameter: Parameter, raw: Any) -> Any:
    """``raw`` (text, texts, or a path segment already converted) as the parameter's value."""
    if isinstance(raw, str | list):
        try:
            raw = parameter.coerce(raw)
        except NotCoercible as problem:
            raise ValidationFailed(f"{parameter.label} {problem}.") from None
    if not parameter.schema.is_valid(raw):
        raise _refused(parameter, parameter.schema.problems(raw))
    return raw


def _raw(parameter: Parameter, request: Request, path_values: dict[str, Any]) -> Any:
    """The parameter's raw value in the request; None when it is not there."""
    location = parameter.location
    if location == "path":
        return path_values[parameter.argument]
    if location == "query":
        if not request.query_string:  # the common case; parsing it and a miss both cost
            return None
        args = request.args
        if parameter.name not in args:  # ``args.get`` builds a BadRequestKeyError on a miss
            return None
        return args.getlist(parameter.name) if parameter.exploded else args[parameter.name]
    if location == "header":
        return request.headers.get(parameter.name)
    return request.cookies.get(parameter.name)


def _accepts(body: Body, mimetype: str) -> bool:
    for media in body.media_types:
        kind, _, subtype = media.partition("/")
        if media in (mimetype, "*/*") or (subtype == "*" and mimetype.startswith(kind + "/")):
            return True
    return False


async def _body(body: Body, request: Request) -> Any:
    data = cast(bytes, await request.get_data(as_text=False))  # over MAX_CONTENT_LENGTH: 413
    if not data and not body.required:
        return None
    mimetype = request.mimetype
    if not body.json:
        if not _accepts(body, mimetype):
            raise UnsupportedMediaType(
                f"The request body must be sent as one of: {', '.join(body.media_types)}."
            )
        return data
    if not is_json(mimetype):
        raise UnsupportedMediaType(
            "The request body must be sent as Content-Type: application/json."
        )
    try:
        value = parse(data)
    except RefusedValue as problem:
        raise ValidationFailed(f"The body holds a value this server refuses: {problem}.") from None
    except NotJSON as problem:
        raise BadRequest(f"The request body must be JSON: {problem.reason}.") from None
    schema = body.schema
    if schema is not None and not schema.is_valid(value):
        said = "; ".join(
            f"'{where}' in the body {what}" if where else f"the body {what}"
            for where, what in schema.problems(value)
        )
        raise ValidationFailed(said[0].upper() + said[1:] + ".")
    return value


async def read_arguments(
    operation: Operation, request: Request, path_values: dict[str, Any]
) -> dict[str, Any]:
    """The checked parameters and body of ``request``, by handler argument name (every one,
    whether or not the handler takes it: each is checked)."""
    values: dict[str, Any] = {}
    for parameter in operation.parameters:
        raw = _raw(parameter, request, path_values)
        if raw is None:
            if parameter.required:
                raise ValidationFailed(f"{parameter.label} is required.")
            values[parameter.argument] = parameter.default
        else:
            values[parameter.argument] = _checked(parameter, raw)
    if operation.body is not None:
        values["body"] = await _body(operation.body, request)
    return values
