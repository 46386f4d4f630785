"""The JSON-RPC layer of MCP over Streamable HTTP, for the revisions this server speaks.

Two eras share the endpoint (the spec's "dual-era" server):

- legacy (2025-06-18, 2025-11-25): ``initialize`` negotiates a version, then each POST
  carries ``MCP-Protocol-Version``; errors other than malformed messages travel in a 200.
- modern (2026-07-28): no handshake; every request carries the version, client capabilities
  and info in ``params._meta`` and mirrors the method, version and tool name in the
  ``MCP-Protocol-Version``, ``Mcp-Method`` and ``Mcp-Name`` headers, which must match the body
  (400 + ``HeaderMismatch`` otherwise); an unknown method is a 404.

A request is modern when it carries the modern ``_meta`` version or a version header that is
not a legacy one. Nothing here touches HTTP beyond reading header values.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import envelope
from ..strict_json import NotJSON, parse

__all__ = [
    "LEGACY_VERSIONS",
    "MODERN_VERSIONS",
    "SUPPORTED_VERSIONS",
    "Message",
    "RPCError",
    "check_modern_headers",
    "check_param_headers",
    "error_body",
    "is_modern",
    "negotiate",
    "parse_message",
    "result_body",
    "tool_error",
    "unsupported",
]

LEGACY_VERSIONS = ("2025-11-25", "2025-06-18")
MODERN_VERSIONS = ("2026-07-28",)
SUPPORTED_VERSIONS = (*MODERN_VERSIONS, *LEGACY_VERSIONS)
# Versions older clients may still name in the header; never served, but never modern either.
OLDER_VERSIONS = ("2025-03-26", "2024-11-05")

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"

# The body field a served method mirrors in the Mcp-Name header (SEP-2243).
NAMED_BY = {"tools/call": "name", "resources/read": "uri"}

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
UNSUPPORTED_VERSION = -32022

RequestId = str | int


class RPCError(Exception):
    """A JSON-RPC error with the HTTP status it travels with (None: the era decides)."""

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        http_status: int | None = None,
        request_id: RequestId | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Message:
    method: str
    id: RequestId | None
    params: dict[str, Any]
    is_notification: bool

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.params.get("_meta")
        return meta if isinstance(meta, dict) else {}


def parse_message(body: bytes) -> Message | None:
    """One JSON-RPC request or notification; None for a response (nothing to answer)."""
    try:
        value = parse(body)
    except NotJSON as problem:
        raise RPCError(PARSE_ERROR, f"Parse error: {problem.reason}.", http_status=400) from None
    if isinstance(value, list):
        raise RPCError(
            INVALID_REQUEST,
            "Batches are not supported: send one message per POST.",
            http_status=400,
        )
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        raise RPCError(
            INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 object.", http_status=400
        )
    if "method" not in value and ("result" in value or "error" in value):
        return None
    method = value.get("method")
    if not isinstance(method, str) or not method:
        raise RPCError(
            INVALID_REQUEST, "Invalid Request: 'method' must be a string.", http_status=400
        )
    has_id = "id" in value
    request_id = value.get("id")
    if has_id and (type(request_id) not in (str, int)):
        raise RPCError(
            INVALID_REQUEST,
            "Invalid Request: 'id' must be a string or an integer.",
            http_status=400,
        )
    params = value.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RPCError(
            INVALID_PARAMS,
            "Invalid params: 'params' must be an object.",
            http_status=None if has_id else 400,  # a notification cannot be answered in a 200
            request_id=request_id if has_id else None,
        )
    return Message(method, request_id if has_id else None, params, not has_id)


def is_modern(message: Message, header_version: str | None) -> bool:
    """A 2026-07-28-style request: the modern ``_meta`` or a version header of no older era."""
    if META_VERSION in message.meta:
        return True
    if header_version is None:
        return False
    return header_version.strip() not in (*LEGACY_VERSIONS, *OLDER_VERSIONS)


def unsupported(requested: Any) -> RPCError:
    return RPCError(
        UNSUPPORTED_VERSION,
        "Unsupported protocol version",
        {"supported": list(SUPPORTED_VERSIONS), "requested": requested},
        400,
    )


def header_value(raw: str | None) -> str | None:
    """A header value with its optional whitespace trimmed and the Base64 sentinel decoded."""
    if raw is None:
        return None
    value = raw.strip(" \t")
    if value.startswith("=?base64?") and value.endswith("?=") and len(value) >= 11:
        try:
            return base64.b64decode(value[9:-2], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise RPCError(
                HEADER_MISMATCH, "Header mismatch: invalid Base64 header value", http_status=400
            ) from None
    if any(not (0x20 <= ord(char) <= 0x7E or char == "\t") for char in value):
        raise RPCError(HEADER_MISMATCH, "Header mismatch: invalid characters", http_status=400)
    return value


def _mismatch(header: str, given: str | None, expected: Any) -> RPCError:
    if given is None:
        return RPCError(
            HEADER_MISMATCH, f"Header mismatch: the {header} header is required", None, 400
        )
    return RPCError(
        HEADER_MISMATCH,
        f"Header mismatch: {header} header value {given!r} does not match body value {expected!r}",
        None,
        400,
    )


def check_modern_headers(
    message: Message, version: str | None, method: str | None, name: str | None
) -> None:
    """The 2026-07-28 rules for a request: its ``_meta``, then each mirrored header."""
    meta = message.meta
    requested = meta.get(META_VERSION)
    if not isinstance(requested, str) or not isinstance(meta.get(META_CAPABILITIES), dict):
        raise RPCError(
            INVALID_PARAMS,
            f"Invalid params: _meta must carry {META_VERSION} and {META_CAPABILITIES}",
            None,
            400,
        )
    version = header_value(version)
    if version != requested:
        raise _mismatch("MCP-Protocol-Version", version, requested)
    if requested not in MODERN_VERSIONS:
        raise unsupported(requested)
    method = header_value(method)
    if method != message.method:
        raise _mismatch("Mcp-Method", method, message.method)
    named = NAMED_BY.get(message.method)
    if named is not None and named in message.params:
        name = header_value(name)
        if name != message.params[named]:
            raise _mismatch("Mcp-Name", name, message.params[named])


def _matches(header: str, value: Any) -> bool:
    if isinstance(value, bool):
        return header == ("true" if value else "false")
    if isinstance(value, int | float):
        try:
            return float(header) == value
        except ValueError:
            return False
    return isinstance(value, str) and header == value


def check_param_headers(
    arguments: dict[str, Any], mirrored: tuple[tuple[str, str], ...], headers: Any
) -> None:
    """``Mcp-Param-*`` headers of a 2026-07-28 ``tools/call`` against its arguments."""
    for argument, suffix in mirrored:
        value = arguments.get(argument)
        if value is None:
            continue
        given = header_value(headers.get(f"Mcp-Param-{suffix}"))
        if given is None or not _matches(given, value):
            raise _mismatch(f"Mcp-Param-{suffix}", given, value)


def negotiate(params: dict[str, Any]) -> str:
    """The version an ``initialize`` answers with: the client's if served, else the newest."""
    requested = params.get("protocolVersion")
    if not isinstance(requested, str):
        raise RPCError(INVALID_PARAMS, "Invalid params: 'protocolVersion' must be a string.")
    return requested if requested in LEGACY_VERSIONS else LEGACY_VERSIONS[0]


def result_body(request_id: RequestId | None, result: dict[str, Any]) -> bytes:
    """The response, UTF-8; orjson (a tenth of a tool call's cost with the json module), which
    refuses what it cannot write exactly (an integer past 64 bits, deep nesting): those go to
    the json module."""
    message = {"jsonrpc": "2.0", "id": request_id, "result": result}
    try:
        return orjson.dumps(message)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(message, ensure_ascii=False).encode()


def error_body(request_id: RequestId | None, error: RPCError) -> bytes:
    """The error response; ASCII, so no text an error quotes can make it fail to encode."""
    payload: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.data is not None:
        payload["data"] = error.data
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "error": payload}
    return json.dumps(message).encode()


def tool_error(error: str, description: str) -> dict[str, Any]:
    """A ``tools/call`` result the model reads as a failure, in the one error envelope."""
    text = envelope(error, description).decode()
    return {"content": [{"type": "text", "text": text}], "isError": True}
