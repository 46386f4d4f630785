"""Reading and checking what a client sent, with errors in the one envelope."""

from __future__ import annotations

import json
import re
from typing import Any

from quart import request

from .errors import BadRequest, UnsupportedMediaType, ValidationFailed

__all__ = ["json_object", "query_int", "require_int", "require_text"]

INTEGER = re.compile(r"-?[0-9]{1,20}")  # int() would also take "1_000", " 7" and "٣"


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


async def json_object() -> dict[str, Any]:
    """The request body as a JSON object (a body over the size limit is a 413 from Quart).

    Only under a JSON media type: ``text/plain``, a form or no type at all is what any web page
    may send to a localhost server without a CORS preflight, so a write on such a body is a 415.
    """
    if not _is_json(request.mimetype):
        raise UnsupportedMediaType(
            "The request body must be sent as Content-Type: application/json."
        )
    body = await request.get_data(as_text=False)
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # too deeply nested to parse
        raise BadRequest("The request body must be a JSON object.") from None
    if not isinstance(value, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    return value


def require_int(body: dict[str, Any], name: str, minimum: int, maximum: int) -> int:
    value = body.get(name)
    if type(value) is not int:  # bool is an int subclass and is not an index
        raise ValidationFailed(f"'{name}' is required and must be an integer.")
    if not minimum <= value <= maximum:  # beyond SQLite's 64-bit integers the query would fail
        raise ValidationFailed(f"'{name}' must be between {minimum} and {maximum}.")
    return value


def require_text(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"'{name}' is required and must be a non-empty string.")
    if len(value) > max_length:
        raise ValidationFailed(f"'{name}' must be at most {max_length} characters.")
    try:
        value.encode()  # JSON may carry a lone surrogate ("\ud800"), which cannot be stored
    except UnicodeEncodeError:
        raise ValidationFailed(f"'{name}' must be valid Unicode text.") from None
    return value


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    if not request.query_string:  # the common case; parsing it and a miss both cost
        return default
    args = request.args
    if name not in args:  # ``args.get`` builds a BadRequestKeyError on a miss
        return default
    raw = args[name]
    if not INTEGER.fullmatch(raw):
        raise ValidationFailed(f"'{name}' must be an integer.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValidationFailed(f"'{name}' must be between {minimum} and {maximum}.")
    return value
