"""Real servers for end-to-end tests: ``python main.py`` on a free 127.0.0.1 port (the
:class:`LiveServer` plugin authors' tests use too, plugin/testing.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from plugin.testing import LiveServer, free_port

__all__ = ["REPO", "LiveServer", "copy_plugin", "free_port", "proxy_server"]

REPO = Path(__file__).resolve().parent.parent
PLUGIN_FILES = ("manifest.json", "openapi.yaml", "handlers.py")
PLUGIN_FOLDERS = ("static", ".well-known", "migrations")


def copy_plugin(root: Path) -> Path:
    """A copy of the shipped TODO plugin's folder at ``root``, for a test that edits it."""
    root.mkdir(parents=True)
    for name in PLUGIN_FILES:
        shutil.copy(REPO / name, root / name)
    for folder in PLUGIN_FOLDERS:
        shutil.copytree(REPO / folder, root / folder)
    return root


def proxy_server(folder: Path, upstream: str, timeout: float) -> LiveServer:
    """``python main.py proxy UPSTREAM`` with PLUGIN_UPSTREAM_TIMEOUT ``timeout``, its database
    and log in ``folder``, no rate limit (not started)."""
    return LiveServer(
        {
            "PLUGIN_DATABASE": str(folder / "proxy.sqlite3"),
            "PLUGIN_RATE_LIMIT": "off",
            "PLUGIN_UPSTREAM_TIMEOUT": str(timeout),
        },
        ["proxy", upstream],
        log_path=folder / "proxy.log",
    )
