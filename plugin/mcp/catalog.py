"""The tools of the spec as it is now: rebuilt when ``openapi.yaml`` changes on disk.

The spec is a :class:`LiveFile`, so an edit that breaks it keeps the last good spec, and with
it the last good tools; the next request after a good edit sees the new tools.
"""

from __future__ import annotations

import asyncio

from ..plugin_files import PluginFiles
from .tools import ToolSet, build_tools

__all__ = ["ToolCatalog"]


class ToolCatalog:
    def __init__(self, files: PluginFiles) -> None:
        self._files = files
        self._version = -1
        self._tools: ToolSet | None = None
        self._looked = False  # at the spec's file, in this turn of the event loop

    def current(self) -> ToolSet:
        """The tools of the newest good spec (raises FileProblem if there never was one).

        The file is looked at (a ``stat``, which lets other threads take the GIL) once per turn
        of the event loop: the tool calls one turn runs share it, and a request that comes
        after an edit comes in a later turn."""
        if self._looked and self._tools is not None:
            return self._tools
        spec = self._files.spec.current()
        if self._tools is None or self._files.spec.version != self._version:
            self._tools = build_tools(spec)
            self._version = self._files.spec.version
        try:
            asyncio.get_running_loop().call_soon(self._turn_ended)
            self._looked = True
        except RuntimeError:  # no loop runs: look every time
            pass
        return self._tools

    def _turn_ended(self) -> None:
        self._looked = False
