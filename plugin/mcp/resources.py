"""The widgets as MCP resources: ``resources/list``, ``resources/templates/list`` (none) and
``resources/read``, and the capabilities that announce them and the MCP Apps extension.

Each widget file is a :class:`LiveFile`, like the manifest and the spec: read again when it
changes on disk, so the next ``resources/read`` shows an edit; an edit that breaks it (not
UTF-8, empty) or removes it keeps the last good copy; a file that was never good is an error
naming it. A file must stay inside the plugin folder: a symlink leading out of it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..live_file import FileProblem, LiveFile
from .protocol import INTERNAL_ERROR, INVALID_PARAMS, RPCError
from .tools import ToolSet
from .widgets import MIME_TYPE, UI_EXTENSION, Widget

__all__ = ["RESOURCE_CAPABILITIES", "RESOURCE_METHODS", "Resources", "read_widget"]

RESOURCE_CAPABILITIES: dict[str, Any] = {
    "resources": {"listChanged": False},
    "extensions": {UI_EXTENSION: {"mimeTypes": [MIME_TYPE]}},
}
RESOURCE_METHODS = frozenset({"resources/list", "resources/templates/list", "resources/read"})


def _parser(root: Path) -> Callable[[Path, bytes], str]:
    inside = root.resolve()

    def parse(path: Path, data: bytes) -> str:
        if not path.resolve().is_relative_to(inside):
            raise FileProblem(path, "leads outside the plugin folder")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileProblem(path, f"is not UTF-8 (byte {error.start})") from None
        if not text.strip():
            raise FileProblem(path, "is empty")
        return text

    return parse


def read_widget(root: Path, widget: Widget) -> str:
    """The widget's HTML read once, as ``check`` reads it (raises :class:`FileProblem`)."""
    path = root / widget.path
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblem(path, error.strerror or "cannot be read") from None
    return _parser(root)(path, data)


class Resources:
    """Answers the resource methods for the tools as they are now."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._parse = _parser(root)
        self._files: dict[str, LiveFile[str]] = {}

    def _html(self, widget: Widget) -> str:
        live = self._files.get(widget.path)
        if live is None:
            live = self._files[widget.path] = LiveFile(self._root / widget.path, self._parse)
        try:
            return live.current()
        except FileProblem as problem:
            message = f"The widget {widget.path} cannot be read: {problem.reason}"
            raise RPCError(INTERNAL_ERROR, message) from None

    def answer(self, method: str, params: dict[str, Any], tools: ToolSet) -> dict[str, Any]:
        """The result of one of :data:`RESOURCE_METHODS`."""
        if method == "resources/read":
            uri = params.get("uri")
            if not isinstance(uri, str):
                raise RPCError(INVALID_PARAMS, "Invalid params: 'uri' must be a string.")
            widget = tools.widgets.get(uri)
            if widget is None:
                raise RPCError(INVALID_PARAMS, "Resource not found", {"uri": uri})
            content = {"uri": uri, "mimeType": MIME_TYPE, "text": self._html(widget)}
            return {"contents": [{**content, "_meta": widget.resource_meta}]}
        if method == "resources/templates/list":
            return {"resourceTemplates": []}
        return {"resources": [widget.listing for widget in tools.widgets.values()]}
