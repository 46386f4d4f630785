"""Parsing a client's JSON body strictly, before anything else may see it (RFC 8259, RFC 7493).

Python's ``json`` takes more than a protocol may pass on: a lone surrogate (``"\\ud800"``, or
its bytes under ``surrogatepass``) that no UTF-8 encoder, hash, database or header can take
later; ``NaN``, ``Infinity`` and numbers past a double (``1e400``) that answers would echo as
invalid JSON; nesting that only fails, as a ``RecursionError``, in a later and deeper walk;
repeated names, where two readers of one message may each see a different value. Each is
refused here with a reason that is safe to show, so each protocol answers with its own error:
:class:`RefusedValue` (a subclass) when the bytes are JSON a parser reads but hold such a value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import orjson

__all__ = ["MAX_DEPTH", "NotJSON", "RefusedValue", "RepeatedName", "parse", "unique_names"]

T = TypeVar("T")

MAX_DEPTH = 64  # arrays and objects inside one another; no request this server takes nests so
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # \ud800 to \udfff, paired or not
_SPACED = json.JSONEncoder(allow_nan=False)  # json.dumps' own text: Python's clients send it


class NotJSON(ValueError):
    """A body this server will not read as JSON; ``reason`` names why, without client text
    other than a quoted (``repr``) and shortened name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefusedValue(NotJSON):
    """Well-formed JSON holding a value refused here (not finite, a lone surrogate, a name
    repeated, nested too deep), as opposed to bytes that are not JSON at all."""


class RepeatedName(RefusedValue):
    """A name given twice in one object (or one form)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the name {name[:100]!r} is repeated in an object")
        self.name = name


def unique_names(pairs: Iterable[tuple[str, T]]) -> dict[str, T]:
    """The pairs as a dict, or :class:`RepeatedName`."""
    if isinstance(pairs, list):  # the parser's: made in C, and as long as the list if unique
        value = dict(pairs)
        if len(value) == len(pairs):
            return value
    value = {}
    for name, item in pairs:
        if name in value:
            raise RepeatedName(name)
        value[name] = item
    return value


def _check(value: Any) -> None:
    """Every string valid Unicode, every number finite, no deeper than ``MAX_DEPTH``; without
    recursion, so the check cannot overflow where the parser did not."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError:
                    raise RefusedValue("a string is not valid Unicode (a lone surrogate)") from None
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise RefusedValue("a number is not finite or is out of range")
        elif isinstance(item, dict | list):
            if depth == MAX_DEPTH:
                raise RefusedValue(f"it nests deeper than {MAX_DEPTH} levels")
            children = [*item, *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _not_finite(constant: str) -> Any:
    raise RefusedValue("a number is not finite or is out of range")


def _finite(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e400
        raise RefusedValue("a number is not finite or is out of range")
    return value


def parse(body: bytes) -> Any:
    """The JSON value of a UTF-8 ``body`` (an optional BOM aside), or :class:`NotJSON`.

    Compact JSON as orjson writes it (and ``JSON.stringify``, and pydantic), or spaced as
    ``json.dumps`` writes it (Python's ``requests``), is read by orjson, a fraction of the cost:
    orjson refuses lone surrogates, non-finite numbers and bad UTF-8 itself, and a body that is
    exactly either text of the value orjson gave holds no repeated name (one would be missing
    from the text) and no number orjson rounded. Any other body is parsed by the json module,
    numbers checked as they are parsed, and walked over only when its text could hide what the
    walk looks for: a surrogate escape, or more brackets than ``MAX_DEPTH`` (fewer cannot nest
    deeper)."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        try:
            value = orjson.loads(body)
            if orjson.dumps(value) == body or _SPACED.encode(value).encode() == body:
                return value
        except ValueError:  # orjson.JSONDecodeError is one
            pass  # the json module below says why
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotJSON("it is not UTF-8") from None
    try:
        value = json.loads(
            text, object_pairs_hook=unique_names, parse_constant=_not_finite, parse_float=_finite
        )
    except NotJSON:
        raise
    except json.JSONDecodeError:
        raise NotJSON("it is not JSON") from None
    except ValueError:  # an integer past the interpreter's limit on digits
        raise NotJSON("a number is not finite or is out of range") from None
    except RecursionError:
        raise NotJSON(f"it nests deeper than {MAX_DEPTH} levels") from None
    if text.count("[") + text.count("{") > MAX_DEPTH or _SURROGATE_ESCAPE.search(text):
        _check(value)
    return value
