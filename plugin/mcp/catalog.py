"""The tools of the spec as it is now: rebuilt when ``openapi.yaml`` changes on disk.

The spec is a :class:`LiveFile`, so an edit that breaks it keeps the last good spec, and with
it the last good tools; the next request after a good edit sees the new tools.
"""

from __future__ import annotations

from ..plugin_files import PluginFiles
from .tools import ToolSet, build_tools

__all__ = ["ToolCatalog"]


class ToolCatalog:
    def __init__(self, files: PluginFiles) -> None:
        self._files = files
        self._version = -1
        self._tools: ToolSet | None = None

    def current(self) -> ToolSet:
        """The tools of the newest good spec (raises FileProblem if there never was one); the
        file is looked at once per turn of the event loop (live_file.py)."""
        spec = self._files.spec.current()
        if self._tools is None or self._files.spec.version != self._version:
            self._tools = build_tools(spec)
            self._version = self._files.spec.version
        return self._tools
