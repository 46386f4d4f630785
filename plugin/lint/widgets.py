"""Rule for the UI widgets ``x-mcp.widget`` names: the file must be there, inside the plugin
folder, and readable as UTF-8 text, or a host that renders the tool's results gets an error
instead of the widget (the server keeps the last good copy of a file that breaks later)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..live_file import FileProblem
from ..mcp.resources import read_widget
from ..mcp.tools import build_tools
from .findings import Finding, error
from .openapi import operation_path

__all__ = ["check_widgets"]


def check_widgets(spec: Any, root: Path) -> list[Finding]:
    """One error for each widget file of ``spec`` that cannot be served from ``root``."""
    if not isinstance(spec, dict):
        return []
    found = []
    for widget in build_tools(spec).widgets.values():
        try:
            read_widget(root, widget)
        except FileProblem as problem:
            found.append(
                error(
                    operation_path(widget.where[1], widget.where[0], "x-mcp.widget"),
                    f"MCP: the widget {widget.path} cannot be served: {problem.reason}",
                    "put the widget's HTML (UTF-8) at that path, inside the plugin folder",
                )
            )
    return found
