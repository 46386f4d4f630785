"""strict_json.parse reads compact (and json.dumps-spaced) JSON with orjson and walks every
value only when the text could hide a lone surrogate or deep nesting: on every path, the same
verdicts and values."""

from __future__ import annotations

import json

import pytest

from plugin.strict_json import MAX_DEPTH, NotJSON, parse

SIBLINGS = b"[]," * (MAX_DEPTH + 1)  # more brackets than MAX_DEPTH, none of them deep: walked


@pytest.mark.parametrize("prefix", [b"", SIBLINGS], ids=["not walked", "walked"])
@pytest.mark.parametrize(
    "item", [b'"\\ud800"', b'"\\uDC00"', b"1e400", b"-1E400", b"NaN", b"-Infinity"]
)
def test_what_no_encoder_can_write_is_refused(prefix: bytes, item: bytes) -> None:
    with pytest.raises(NotJSON):
        parse(b"[" + prefix + item + b"]")


@pytest.mark.parametrize("prefix", [b"", SIBLINGS], ids=["not walked", "walked"])
def test_pairs_and_finite_numbers_pass(prefix: bytes) -> None:
    value = parse(b"[" + prefix + b'"\\ud83d\\ude00", 1.5e300, -2, {"a": [true]}]')
    assert value[-4:] == ["\U0001f600", 1.5e300, -2, {"a": [True]}]


@pytest.mark.parametrize("body", [b'{"a": [{"b": 1, "c": 2, "b": 3}]}', b'{"a":[{"b":1,"b":1}]}'])
def test_a_repeated_name_is_refused_in_any_object(body: bytes) -> None:
    with pytest.raises(NotJSON, match="'b' is repeated"):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id":1,"todo":"caf\\u00e9 \\ud83d\\ude00","n":[1.5,-2,true,null]}',  # escapes: json
        '{"id":1,"todo":"café 😀","n":[1.5,-2,true,null]}'.encode(),  # orjson's own text
        b"[123456789012345678901234567890,1e5]",  # orjson would round both: json
        json.dumps({"id": 1, "todo": "café 😀", "n": [1.5, -2, True, None]}).encode(),  # spaced
        b"[123456789012345678901234567890, 1e5]",  # spaced, and rounded by orjson: json
        b'{"todo": "caf\xc3\xa9"}',  # spaced, but not escaped as json.dumps would: json
        b'\xef\xbb\xbf{"a":1}',  # a BOM: json
    ],
)
def test_compact_or_not_the_value_is_the_json_modules(body: bytes) -> None:
    assert parse(body) == json.loads(body.decode("utf-8-sig"))


def test_nesting_past_the_limit_is_refused_exactly_there() -> None:
    assert parse(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(NotJSON, match="deeper"):
        parse(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
