"""The tool catalog (plugin/mcp/catalog.py) looks at the spec once per turn of the event loop:
an edit is seen by the next turn, never half a turn later."""

from __future__ import annotations

import asyncio
from pathlib import Path

from plugin.config import Settings
from plugin.mcp.catalog import ToolCatalog
from plugin.plugin_files import PluginFiles


def _catalog(root: Path) -> ToolCatalog:
    return ToolCatalog(PluginFiles(Settings(root=root, database=str(root / "unused.sqlite3"))))


async def test_an_edit_is_seen_from_the_next_turn_of_the_loop(plugin_root: Path) -> None:
    catalog = _catalog(plugin_root)
    before = catalog.current()
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("operationId: getTodos", "operationId: listTodos"))
    assert catalog.current() is before, "the same turn: the file was looked at already"
    await asyncio.sleep(0)
    assert "listTodos" in catalog.current().tools and "getTodos" not in catalog.current().tools


def test_without_a_loop_every_call_looks(plugin_root: Path) -> None:
    catalog = _catalog(plugin_root)
    assert "getTodos" in catalog.current().tools
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("operationId: getTodos", "operationId: listTodos"))
    assert "listTodos" in catalog.current().tools
