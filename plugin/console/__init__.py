"""The browser console at ``/``: what ChatGPT will see, what is wrong with it, and what was
called, for the developer iterating on the plugin (``PLUGIN_CONSOLE=off`` removes it).

Its page and API are public only where they show nothing the plugin files do not already
publish: the rendered manifest and spec (public anyway), the linter's findings on them, the
operations and the MCP tools built from them. Recent calls tell who used the API, every user's
calls alike, so they are the operator's in every auth mode: a loopback developer's, or whoever
has ``PLUGIN_ADMIN_TOKEN`` (operator.py), never an API credential's. The service token is never
shown; the try-it forms send whatever credential the developer types into the page (to the API,
or to ``/mcp`` for a tool call), the admin token goes only to recent calls, and the page keeps
both in memory only. The page may not be framed and runs nothing inline (page_security.py).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from importlib.resources import files as package_files
from typing import Any, cast

from quart import Blueprint, Quart, Response, request

from ..asgi import Scope
from ..auth import public
from ..documents import spec_bytes
from ..errors import BadRequest, NotFound
from ..lint import Report, check_root
from ..live_file import FileProblem, LiveFile
from ..mcp import MCP_PATH
from ..mcp.catalog import ToolCatalog
from ..mcp.protocol import LEGACY_VERSIONS
from ..page_security import page_headers
from ..plugin_files import PluginFiles
from ..public_url import public_base_url
from ..state import app_state
from .operations import describe_operations, example
from .operator import OperatorAccess

__all__ = ["install_console"]

ASSETS = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# Everything the page runs and fetches is this server's own files and API; the logo is the
# manifest's logo_url, wherever that points. No inline script or style, no native form submit.
ASSET_HEADERS = {
    **NO_CACHE,
    **page_headers("default-src 'self'; img-src 'self' http: https:; form-action 'none'"),
}


def _json(payload: object) -> Response:
    return Response(json.dumps(payload), content_type="application/json", headers=NO_CACHE)


def _describe(problem: FileProblem) -> str:
    where = f"{problem.path.name}:{problem.line}" if problem.line else problem.path.name
    return f"{where}: {problem.reason}"


def _problem(live: LiveFile[Any]) -> str | None:
    return _describe(live.problem) if live.problem is not None else None


class Console:
    def __init__(self, files: PluginFiles, operation_problems: Callable[[], list[str]]) -> None:
        self._files = files
        self._operation_problems = operation_problems
        self._settings = files.settings
        self._asset_dir = package_files(__package__) / "static"
        self._lint_cache: tuple[tuple[Any, ...], Report] | None = None
        self._tools = ToolCatalog(files) if self._settings.mcp else None

    def asset(self, name: str) -> Response:
        if name not in ASSETS:
            raise NotFound(f"No console file {name!r}.")
        body = (self._asset_dir / name).read_bytes()
        return Response(body, content_type=ASSETS[name], headers=ASSET_HEADERS)

    def _signature(self) -> tuple[Any, ...]:
        root = self._settings.root
        signature: list[tuple[int, int, int] | None] = []
        for path in (root / "manifest.json", root / "openapi.yaml", root / "static" / "logo.png"):
            try:
                stat = os.stat(path)
                signature.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except OSError:
                signature.append(None)
        return tuple(signature)

    async def findings(self) -> Report:
        """The linter on the files as they are on disk now, re-run only when one changed."""
        signature = self._signature()
        if self._lint_cache is None or self._lint_cache[0] != signature:
            report = await asyncio.to_thread(check_root, self._settings)
            self._lint_cache = (signature, report)
        return self._lint_cache[1]

    def mcp(self) -> dict[str, Any] | None:
        """The tools ``/mcp`` serves now, each with arguments to start a call from; None when
        ``PLUGIN_MCP=off``. The page calls them at ``/mcp`` with the version it names."""
        if self._tools is None:
            return None
        try:
            listing = self._tools.current().listing
        except FileProblem:
            listing = []
        return {
            "path": MCP_PATH,
            "protocol_version": LEGACY_VERSIONS[0],
            "tools": [{**tool, "example": example(tool["inputSchema"])} for tool in listing],
        }

    async def overview(self) -> dict[str, Any]:
        base_url = public_base_url(self._settings, request.scope)  # type: ignore[arg-type]
        if base_url is None:
            raise BadRequest(
                "The console derives its URLs only for localhost; set PLUGIN_PUBLIC_URL."
            )
        files = self._files
        manifest: dict[str, Any] | None = None
        spec: dict[str, Any] | None = None
        # Why a file is not served at all: broken since start-up, no last good version yet.
        manifest_error: str | None = None
        spec_error: str | None = None
        try:
            manifest = json.loads(files.render("manifest", base_url))
        except FileProblem as problem:
            manifest_error = _describe(problem)
        try:
            spec = files.rendered_spec(base_url)
        except FileProblem as problem:
            spec_error = _describe(problem)
        report = await self.findings()
        return {
            "install_url": base_url,
            "auth": self._settings.auth,
            "proxy_upstream": self._settings.upstream_shown or None,
            "manifest": manifest,
            "spec_yaml": spec_bytes(spec)[0].decode() if spec is not None else None,
            "operations": describe_operations(spec) if spec is not None else [],
            "mcp": self.mcp(),
            "problems": [p for p in (_problem(files.manifest), _problem(files.spec)) if p]
            + self._operation_problems(),
            "manifest_error": manifest_error,
            "spec_error": spec_error,
            "lint": report.as_json(),
        }


def install_console(
    app: Quart, files: PluginFiles, operation_problems: Callable[[], list[str]]
) -> None:
    """Serve the console at ``/`` and its API under ``/console/``, unless switched off;
    ``operation_problems`` tells why the operations served are not the files' (handlers.py)."""
    settings = files.settings
    if not settings.console:
        return
    console = Console(files, operation_problems)
    blueprint = Blueprint("console", __name__)

    @blueprint.get("/")
    @public
    async def page() -> Response:
        return console.asset("index.html")

    @blueprint.get("/console/static/<name>")
    @public
    async def asset(name: str) -> Response:
        return console.asset(name)

    @blueprint.get("/console/api/overview")
    @public
    async def overview() -> Response:
        return _json(await console.overview())

    @blueprint.get("/console/api/findings")
    @public
    async def findings() -> Response:
        return _json((await console.findings()).as_json())

    operator = OperatorAccess(settings)

    @blueprint.get("/console/api/calls")
    @public  # to the API's credentials: the operator's own check decides
    async def calls() -> Response:
        operator.check(cast(Scope, request.scope), request.headers)
        return _json(app_state().recent_calls.as_json())

    app.register_blueprint(blueprint)
