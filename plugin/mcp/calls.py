"""Running a tool: one HTTP request through the app's own routes, in-process.

The call is an ASGI call into the Quart app, not a socket, and carries the MCP caller's own
``Authorization`` header: authentication, per-user isolation, validation and the response size
limits of the HTTP API apply to a tool call unchanged, because it *is* an API call.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from ..asgi import ASGIApp, Scope
from ..strict_json import NotJSON, parse
from .tools import Tool

__all__ = ["BadArgument", "call_through_app", "forwarded_headers", "tool_result"]


def forwarded_headers(api_key_header: str) -> frozenset[bytes]:
    """The request headers a tool call passes on: the host and wherever credentials travel."""
    names = {b"authorization", b"host"}
    if api_key_header:
        names.add(api_key_header.lower().encode("latin-1"))
    return frozenset(names)


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")  # RFC 3986: what percent-encoding leaves as it is


def _quoted(text: str) -> str:
    """``text`` as one percent-encoded path segment (most arguments need no encoding)."""
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


def _query(pairs: list[tuple[str, str]]) -> str:
    """``urlencode(pairs)``, without its per-character work where nothing needs encoding."""
    if all(_UNRESERVED.fullmatch(key) and _UNRESERVED.fullmatch(value) for key, value in pairs):
        return "&".join(f"{key}={value}" for key, value in pairs)
    return urlencode(pairs)


class BadArgument(ValueError):
    """An argument the input schema allows but no request can carry."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _encoded(body: Any) -> bytes:
    """``body`` as compact JSON, the form the operation's strict parse reads fastest (orjson);
    the json module for what orjson cannot write (an integer past 64 bits)."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _request(
    tool: Tool, base_path: str, arguments: dict[str, Any]
) -> tuple[str, str, str, bytes | None]:
    """The path (decoded and raw), query string and body that ``arguments`` make for ``tool``.

    A path parameter is one segment: a value with a ``/`` (or empty) would reach another
    route, so it is refused rather than encoded.
    """
    path = raw_path = tool.path
    query: list[tuple[str, str]] = []
    body: Any = {} if tool.has_body else None
    for argument in tool.arguments:
        if argument.name not in arguments or arguments[argument.name] is None:
            continue
        value = arguments[argument.name]
        if argument.location == "path":
            text = _text(value)
            if not text or "/" in text:
                raise BadArgument(f"'{argument.name}' must be one non-empty path segment.")
            placeholder = "{" + str(argument.key) + "}"
            path = path.replace(placeholder, text)
            raw_path = raw_path.replace(placeholder, _quoted(text))
        elif argument.location == "query":
            values = value if isinstance(value, list) else [value]
            query.extend((str(argument.key), _text(item)) for item in values)
        elif argument.key is None:
            body = value
        else:
            body[argument.key] = value
    encoded = None if body is None else _encoded(body)
    return base_path + path, base_path + raw_path, _query(query), encoded


async def call_through_app(
    app: ASGIApp,
    outer: Scope,
    forwarded: frozenset[bytes],
    tool: Tool,
    base_path: str,
    arguments: dict[str, Any],
) -> tuple[int, bytes, str]:
    """Status, body and content type of the API's answer to this tool call.

    ``forwarded`` names the headers of the MCP request (``outer``) the call carries.
    """
    path, raw_path, query, body = _request(tool, base_path, arguments)
    headers = [(key, value) for key, value in outer["headers"] if key in forwarded]
    headers.append((b"accept", b"application/json"))
    if body is not None:
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
    scope: Scope = {
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": outer.get("http_version", "1.1"),
        "method": tool.method,
        "scheme": outer.get("scheme", "http"),
        "path": path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": outer.get("client"),
        "server": outer.get("server"),
        "extensions": {},
    }
    delivered = False
    finished = asyncio.get_running_loop().create_future()

    async def receive() -> MutableMapping[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body or b"", "more_body": False}
        await finished  # the request never disconnects; the app stops listening when done
        return {"type": "http.disconnect"}

    status = 500
    content_type = ""
    chunks: list[bytes] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status, content_type
        if message["type"] == "http.response.start":
            status = message["status"]
            for key, value in message.get("headers", ()):
                if key.lower() == b"content-type":
                    content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    finally:
        finished.cancel()
    return status, b"".join(chunks), content_type


def tool_result(status: int, body: bytes, content_type: str) -> dict[str, Any]:
    """A 2xx becomes content with a structured copy; anything else an error the model reads."""
    text = body.decode("utf-8", "replace")
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if not 200 <= status < 300:
        result["isError"] = True
        return result
    result["isError"] = False
    if content_type.split(";")[0].strip().endswith("json") and body:
        try:
            value = parse(body)
        except NotJSON:  # an upstream's NaN or lone surrogate would break the answer
            return result
        result["structuredContent"] = value if isinstance(value, dict) else {"result": value}
    return result
