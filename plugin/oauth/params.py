"""Reading OAuth parameters: each at most once (RFC 6749 section 3.1), as JSON or a form.

ChatGPT posts the token request as ``authorization_content_type`` says (JSON or form); GPT
Actions post a form. Both are accepted whatever the manifest says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast
from urllib.parse import parse_qsl

from quart import request
from werkzeug.datastructures import MultiDict

from ..asgi import Scope
from ..config import Settings
from ..public_url import public_base_url
from ..strict_json import NotJSON, RepeatedName, parse, unique_names
from .rfc6749_errors import InvalidRequest

__all__ = ["body_params", "request_base_url", "single_valued"]

FORM = "application/x-www-form-urlencoded"


def single_valued(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The parameters as a dict; a repeated one is an ``invalid_request``."""
    try:
        return unique_names(pairs)
    except RepeatedName as repeated:
        raise InvalidRequest(f"The parameter {repeated.name[:100]!r} is repeated.") from None


def query_pairs(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in args.lists() for value in values]


async def body_params() -> dict[str, str]:
    """The body's parameters, from a form or a JSON object of strings."""
    body = cast(bytes, await request.get_data(as_text=False))
    if request.mimetype == "application/json":
        try:
            value = parse(body)
        except NotJSON as problem:
            raise InvalidRequest(f"The JSON body is refused: {problem.reason}.") from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise InvalidRequest("The JSON body must be an object of string values.")
        return value
    if request.mimetype in (FORM, ""):
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise InvalidRequest("The form body is not UTF-8.") from None
        return single_valued(pairs)
    raise InvalidRequest(f"The body must be {FORM} or application/json.")


def request_base_url(settings: Settings) -> str | None:
    """This request's public base URL: the issuer and the root of every resource identifier."""
    return public_base_url(settings, cast(Scope, request.scope))
