"""``/mcp``: the Streamable HTTP endpoint, an ASGI layer in front of the app.

Each POST is handled on its own (no session state), in this order: the browser ``Origin`` and
the ``Host`` (DNS rebinding: 403), the caller's credentials through the app's own
authenticator (the same 401 as the API), the body (size cap, JSON-RPC shape), the protocol era
and its header rules, then the method. Answers are single JSON objects; GET and DELETE (the
optional SSE stream and session end) are 405.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

from ..asgi import ASGIApp, Receive, Scope, Send, header, send_response
from ..auth import Authenticator
from ..config import Settings
from ..errors import APIError, envelope
from ..live_file import FileProblem
from ..plugin_files import PluginFiles
from ..public_url import LOOPBACK_HOSTS, public_base_url
from .calls import call_through_app, tool_result
from .catalog import ToolCatalog
from .protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LEGACY_VERSIONS,
    META_SERVER_INFO,
    METHOD_NOT_FOUND,
    SUPPORTED_VERSIONS,
    Message,
    RPCError,
    check_modern_headers,
    check_param_headers,
    error_body,
    is_modern,
    negotiate,
    parse_message,
    result_body,
    unsupported,
)

__all__ = ["MCP_PATH", "MCPEndpoint"]

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
JSON = b"application/json"
NO_STORE = (b"cache-control", b"no-store")


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _loopback_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return parts.scheme in ("http", "https") and host.lower() in LOOPBACK_HOSTS


class MCPEndpoint:
    """Answers ``/mcp``; every other path goes on to ``app``.

    ``api`` is the Quart app itself, which tool calls go through.
    """

    def __init__(
        self,
        app: ASGIApp,
        api: ASGIApp,
        files: PluginFiles,
        settings: Settings,
        authenticator: Authenticator,
    ) -> None:
        self._app = app
        self._api = api
        self._files = files
        self._settings = settings
        self._authenticator = authenticator
        self._catalog = ToolCatalog(files)
        origins = set(settings.cors_origins)
        if settings.base_url:
            parts = urlsplit(settings.base_url)
            origins.add(f"{parts.scheme}://{parts.netloc}")
        self._origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != MCP_PATH:
            await self._app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        if (
            origin is not None and origin not in self._origins and not _loopback_origin(origin)
        ) or (public_base_url(self._settings, scope) is None):
            await self._send_rpc_error(
                send,
                403,
                None,
                RPCError(
                    INVALID_REQUEST, "Forbidden: this Origin or Host may not use this server."
                ),
            )
            return
        if scope["method"] != "POST":
            await send_response(
                send,
                405,
                envelope("method_not_allowed", "/mcp answers POST only (no SSE stream)."),
                JSON,
                [(b"allow", b"POST")],
            )
            return
        headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])
        try:
            await self._authenticator.authenticate(headers)
        except APIError as error:
            extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in error.headers.items()]
            await send_response(
                send, error.status_code, envelope(error.error, error.description), JSON, extra
            )
            return
        content_type = headers.get("Content-Type", "application/json")
        if content_type.split(";")[0].strip().lower() != "application/json":
            await self._send_rpc_error(
                send, 415, None, RPCError(INVALID_REQUEST, "Content-Type must be application/json.")
            )
            return
        try:
            body = await _read_body(receive, self._settings.max_body_bytes)
        except _TooLarge:
            await self._send_rpc_error(
                send,
                413,
                None,
                RPCError(
                    INVALID_REQUEST,
                    f"The message is larger than {self._settings.max_body_bytes} bytes.",
                ),
            )
            return
        await self._handle(scope, send, headers, body)

    async def _handle(self, scope: Scope, send: Send, headers: Headers, body: bytes) -> None:
        request_id = None
        modern = False
        try:
            message = parse_message(body)
            if message is None:  # a response to a request we never send
                await send_response(send, 202, b"", JSON)
                return
            if message.is_notification:
                await send_response(send, 202, b"", JSON)
                return
            request_id = message.id
            version = headers.get("MCP-Protocol-Version")
            modern = is_modern(message, version)
            if modern:
                check_modern_headers(
                    message, version, headers.get("Mcp-Method"), headers.get("Mcp-Name")
                )
            elif version is not None and version.strip() not in LEGACY_VERSIONS:
                raise unsupported(version.strip())
            result = await self._dispatch(scope, headers, message, modern)
        except RPCError as error:
            if error.request_id is not None:
                request_id = error.request_id
            await self._send_rpc_error(send, None, request_id, error, modern)
            return
        await send_response(send, 200, result_body(request_id, result), JSON, [NO_STORE])

    async def _send_rpc_error(
        self,
        send: Send,
        status: int | None,
        request_id: Any,
        error: RPCError,
        modern: bool = False,
    ) -> None:
        if status is None:
            status = error.http_status
        if status is None:
            if not modern:
                status = 200
            elif error.code == METHOD_NOT_FOUND:
                status = 404
            elif error.code == INTERNAL_ERROR:
                status = 503
            else:
                status = 400
        await send_response(send, status, error_body(request_id, error), JSON, [NO_STORE])

    def _server_info(self) -> tuple[dict[str, Any], str]:
        try:
            manifest = self._files.manifest.current()
        except FileProblem:
            manifest = {}
        try:
            version = str(self._files.spec.current().get("info", {}).get("version", "1.0.0"))
        except FileProblem:
            version = "1.0.0"
        info = {
            "name": str(manifest.get("name_for_model") or "plugin"),
            "title": str(manifest.get("name_for_human") or "Plugin"),
            "version": version,
        }
        return info, str(manifest.get("description_for_model") or "")

    async def _dispatch(
        self, scope: Scope, headers: Headers, message: Message, modern: bool
    ) -> dict[str, Any]:
        method = message.method
        capabilities = {"tools": {"listChanged": False}}
        if modern:
            if method == "server/discover":
                info, instructions = self._server_info()
                result: dict[str, Any] = {
                    "supportedVersions": list(SUPPORTED_VERSIONS),
                    "capabilities": capabilities,
                    "instructions": instructions,
                }
            elif method == "tools/list":
                result = self._list_tools(message)
            elif method == "tools/call":
                result = await self._call_tool(scope, message, headers)
            else:
                raise RPCError(METHOD_NOT_FOUND, f"Method not found: {method}")
            result["resultType"] = "complete"
            if method != "tools/call":
                result.update(ttlMs=0, cacheScope="public")
            result["_meta"] = {META_SERVER_INFO: self._server_info()[0]}
            return result
        if method == "initialize":
            info, instructions = self._server_info()
            result = {
                "protocolVersion": negotiate(message.params),
                "capabilities": capabilities,
                "serverInfo": info,
            }
            if instructions:
                result["instructions"] = instructions
            return result
        if method == "ping":
            return {}
        if method == "tools/list":
            return self._list_tools(message)
        if method == "tools/call":
            return await self._call_tool(scope, message)
        raise RPCError(METHOD_NOT_FOUND, f"Method not found: {method}")

    def _tools(self) -> Any:
        try:
            return self._catalog.current()
        except FileProblem as problem:
            raise RPCError(INTERNAL_ERROR, f"The tools cannot be built: {problem.reason}") from None

    def _list_tools(self, message: Message) -> dict[str, Any]:
        if message.params.get("cursor") is not None:
            raise RPCError(
                INVALID_PARAMS, "Invalid params: unknown cursor (the list has one page)."
            )
        return {"tools": self._tools().listing}

    async def _call_tool(
        self, scope: Scope, message: Message, headers: Headers | None = None
    ) -> dict[str, Any]:
        """Run a tool; ``headers`` are given in the 2026-07-28 era, whose ``Mcp-Param-*``
        headers must match the arguments."""
        name = message.params.get("name")
        arguments = message.params.get("arguments", {})
        if not isinstance(name, str):
            raise RPCError(INVALID_PARAMS, "Invalid params: 'name' must be a string.")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise RPCError(INVALID_PARAMS, "Invalid params: 'arguments' must be an object.")
        tools = self._tools()
        tool = tools.tools.get(name)
        if tool is None:
            raise RPCError(INVALID_PARAMS, f"Unknown tool: {name}")
        if headers is not None:
            check_param_headers(arguments, tool.headers, headers)
        problems = tool.errors(arguments)
        if problems:
            text = envelope("invalid_request", "Invalid arguments: " + "; ".join(problems))
            return {"content": [{"type": "text", "text": text.decode()}], "isError": True}
        status, body, content_type = await call_through_app(
            self._api, scope, tool, tools.base_path, arguments
        )
        return tool_result(status, body, content_type)
