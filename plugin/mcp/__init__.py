"""The plugin as an MCP server: tools built live from ``openapi.yaml``, answered at ``/mcp``,
each call run through the app's own routes as the authenticated caller.

For other parts of the app: :func:`mount_mcp` (the ASGI layer), :func:`build_tools` (the
console lists ``build_tools(spec).listing``; ``check`` reports ``build_tools(spec).issues``).
"""

from __future__ import annotations

from ..asgi import ASGIApp
from ..auth import Authenticator
from ..config import Settings
from ..plugin_files import PluginFiles
from .endpoint import MCP_PATH, RESOURCE_METADATA_PATH, MCPEndpoint
from .tools import Tool, ToolSet, build_tools

__all__ = [
    "MCP_PATH",
    "RESOURCE_METADATA_PATH",
    "Tool",
    "ToolSet",
    "build_tools",
    "mount_mcp",
]


def mount_mcp(
    app: ASGIApp,
    api: ASGIApp,
    files: PluginFiles,
    settings: Settings,
    authenticator: Authenticator,
) -> ASGIApp:
    """``app`` with ``/mcp`` answered in front of it, unless ``PLUGIN_MCP=off``.

    ``api`` is the Quart app the tool calls go through; ``authenticator`` is the one in front
    of the API routes, so ``/mcp`` takes exactly the API's credentials.
    """
    if not settings.mcp:
        return app
    return MCPEndpoint(app, api, files, settings, authenticator)
