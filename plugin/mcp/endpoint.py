"""``/mcp``: the Streamable HTTP endpoint, an ASGI layer in front of the app.

Each POST is handled on its own (no session state), in this order: the browser ``Origin`` and
the ``Host`` (DNS rebinding: 403), the caller's credentials through the app's own
authenticator (the same 401 as the API; where the OAuth server runs, an access token must also
have been minted for this endpoint, and the 401 points to the protected resource metadata), the
body (size cap,
JSON-RPC shape), the protocol era and its header rules, then the method. Answers are single
JSON objects; GET and DELETE (the optional SSE stream and session end) are 405.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

from ..asgi import ASGIApp, Receive, Scope, Send, header, send_response
from ..auth import Authenticator
from ..config import Settings
from ..errors import APIError, Unauthorized, envelope
from ..lean_quart import scope_headers
from ..live_file import FileProblem
from ..plugin_files import PluginFiles
from ..public_url import LOOPBACK_HOSTS, public_base_url
from .budget import fit_result, result_budget
from .calls import BadArgument, call_through_app, forwarded_headers, tool_result
from .catalog import ToolCatalog
from .confirmation import Confirmation, can_elicit
from .protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LEGACY_VERSIONS,
    META_CAPABILITIES,
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
    tool_error,
    unsupported,
)
from .resources import RESOURCE_CAPABILITIES, RESOURCE_METHODS, Resources
from .tools import Tool, ToolSet

__all__ = ["MCP_PATH", "RESOURCE_METADATA_PATH", "MCPEndpoint"]

MCP_PATH = "/mcp"
# RFC 9728 section 3.1: the metadata of the resource ``<base>/mcp``.
RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource" + MCP_PATH
JSON = b"application/json"
NO_STORE = (b"cache-control", b"no-store")
LISTS = frozenset({"tools/list", "resources/list", "resources/templates/list"})  # one page each


class _TooLarge(Exception):
    pass


class InvalidToken(Unauthorized):
    """RFC 6750 section 3.1: a token that is expired, revoked or for another audience."""

    error = "invalid_token"


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


def _status(error: RPCError, modern: bool) -> int:
    """The HTTP status an error travels with: its own, else what the era gives its code."""
    if error.http_status is not None:
        return error.http_status
    if not modern:
        return 200
    return {METHOD_NOT_FOUND: 404, INTERNAL_ERROR: 503}.get(error.code, 400)


async def _send_error(
    send: Send, error: RPCError, request_id: Any = None, modern: bool = False
) -> None:
    body = error_body(request_id, error)
    await send_response(send, _status(error, modern), body, JSON, [NO_STORE])


def _clipped(name: str, limit: int = 100) -> str:
    """A client's name as an error message quotes it: a body may hold 64 KiB of one."""
    return name if len(name) <= limit else name[:limit] + "..."


def _loopback_origin(origin: str) -> bool:
    try:
        parts = urlsplit(origin)
    except ValueError:  # an IPv6 host whose bracket does not close: no origin of ours
        return False
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
        self._resources = Resources(settings.root)
        self._forwarded = forwarded_headers(settings.api_key_header)
        secret = settings.mcp_state_secret.encode() or os.urandom(32)
        self._confirmation = Confirmation(secret)
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
            forbidden = "Forbidden: this Origin or Host may not use this server."
            await _send_error(send, RPCError(INVALID_REQUEST, forbidden, http_status=403))
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
        headers = scope_headers(scope)
        try:
            await self._authenticate(scope, headers)
        except APIError as error:
            extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in error.headers.items()]
            await send_response(
                send, error.status_code, envelope(error.error, error.description), JSON, extra
            )
            return
        content_type = headers.get("Content-Type", "application/json")
        if content_type.split(";")[0].strip().lower() != "application/json":
            wrong_type = "Content-Type must be application/json."
            await _send_error(send, RPCError(INVALID_REQUEST, wrong_type, http_status=415))
            return
        try:
            body = await _read_body(receive, self._settings.max_body_bytes)
        except _TooLarge:
            too_large = f"The message is larger than {self._settings.max_body_bytes} bytes."
            await _send_error(send, RPCError(INVALID_REQUEST, too_large, http_status=413))
            return
        await self._handle(scope, send, headers, body)

    async def _authenticate(self, scope: Scope, headers: Headers) -> None:
        """The API's own check; where the OAuth server runs (``oauth``, and ``user_http`` beside
        its keys), an MCP resource server's (RFC 9728 section 5.1, RFC 8707): an access token
        must be for ``<base>/mcp``, a token without an audience (the plugin flow's, for the API)
        or for another resource is refused, and every 401 names the metadata that tells a
        client where to get the right token."""
        if not self._settings.authorization_server:
            await self._authenticator.authenticate(headers)
            return
        base_url = public_base_url(self._settings, scope)
        challenge = f'Bearer resource_metadata="{base_url}{RESOURCE_METADATA_PATH}"'
        try:
            identity = await self._authenticator.authenticate(headers)
        except Unauthorized as error:
            if "error=" not in error.headers.get("WWW-Authenticate", ""):  # no token at all
                raise Unauthorized(error.description, {"WWW-Authenticate": challenge}) from None
            identity = None
        if identity is None or (identity.token and identity.audience != f"{base_url}{MCP_PATH}"):
            description = (
                "The access token is invalid, expired, revoked or not issued for this MCP "
                "server (its resource)."
            )
            raise InvalidToken(
                description, {"WWW-Authenticate": f'{challenge}, error="invalid_token"'}
            )

    async def _handle(self, scope: Scope, send: Send, headers: Headers, body: bytes) -> None:
        request_id = None
        modern = False
        try:
            message = parse_message(body)
            # A notification, or a response (None) to a request this server never sends.
            if message is None or message.is_notification:
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
            await _send_error(send, error, request_id, modern)
            return
        await send_response(send, 200, result_body(request_id, result), JSON, [NO_STORE])

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
        capabilities = {"tools": {"listChanged": False}, **RESOURCE_CAPABILITIES}
        if method in LISTS and message.params.get("cursor") is not None:
            raise RPCError(
                INVALID_PARAMS, "Invalid params: unknown cursor (the list has one page)."
            )
        if modern:
            if method == "server/discover":
                info, instructions = self._server_info()
                result: dict[str, Any] = {
                    "supportedVersions": list(SUPPORTED_VERSIONS),
                    "capabilities": capabilities,
                    "instructions": instructions,
                }
            elif method == "tools/list":
                result = self._list_tools()
            elif method == "tools/call":
                result = await self._call_tool(scope, message, headers)
            elif method in RESOURCE_METHODS:
                result = self._resources.answer(method, message.params, self._tools())
            else:
                raise RPCError(METHOD_NOT_FOUND, f"Method not found: {_clipped(method)}")
            result.setdefault("resultType", "complete")
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
            return self._list_tools()
        if method == "tools/call":
            return await self._call_tool(scope, message)
        if method in RESOURCE_METHODS:
            return self._resources.answer(method, message.params, self._tools())
        raise RPCError(METHOD_NOT_FOUND, f"Method not found: {_clipped(method)}")

    def _tools(self) -> ToolSet:
        try:
            return self._catalog.current()
        except FileProblem as problem:
            raise RPCError(INTERNAL_ERROR, f"The tools cannot be built: {problem.reason}") from None

    def _list_tools(self) -> dict[str, Any]:
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
            raise RPCError(INVALID_PARAMS, f"Unknown tool: {_clipped(name)}")
        if headers is not None:
            check_param_headers(arguments, tool.headers, headers)
        problems = tool.errors(arguments)
        if problems:
            return tool_error("invalid_request", f"Invalid arguments: {'; '.join(problems)}")
        if headers is not None and self._asks(tool, message):
            caller = self._caller(scope)
            decision = self._confirmation.decide(message.params, tool, arguments, caller)
            if decision == "ask":
                return self._confirmation.ask(tool, arguments, caller)
            if decision != "accept":
                return _not_confirmed(tool, decision)

        async def run(sent: dict[str, Any]) -> dict[str, Any]:
            status, body, content_type = await call_through_app(
                self._api, scope, self._forwarded, tool, tools.base_path, sent
            )
            return tool_result(status, body, content_type)

        budget = result_budget(message.meta, self._settings.mcp_result_chars)
        try:
            return await fit_result(tool, arguments, run, budget)
        except BadArgument as problem:
            return tool_error("invalid_request", f"Invalid arguments: {problem}")

    def _asks(self, tool: Tool, message: Message) -> bool:
        """A 2026-07-28 call that waits for the user's yes: a consequential tool, confirmation
        on, and a client that can show the question (no elicitation: served as before)."""
        capabilities = message.meta.get(META_CAPABILITIES)
        return self._settings.mcp_confirm and tool.confirm and can_elicit(capabilities)

    def _caller(self, scope: Scope) -> bytes:
        """The credentials the call would run with (and the host), as one digest."""
        sent = sorted((k, v) for k, v in scope["headers"] if k.lower() in self._forwarded)
        return hashlib.sha256(b"\0".join(k.lower() + b":" + v for k, v in sent)).digest()


def _not_confirmed(tool: Tool, decision: str) -> dict[str, Any]:
    """A declined (or dismissed) confirmation: nothing ran, and the model is told so."""
    who = "declined" if decision == "decline" else "dismissed the confirmation of"
    description = f"The user {who} {tool.name}; it was not run and nothing changed."
    return tool_error("not_confirmed", description)
