"""Real servers for end-to-end tests: ``python main.py`` on a free 127.0.0.1 port (the
:class:`LiveServer` plugin authors' tests use too, plugin/testing.py)."""

from __future__ import annotations

from pathlib import Path

from plugin.testing import LiveServer, free_port

__all__ = ["REPO", "LiveServer", "free_port", "proxy_server"]

REPO = Path(__file__).resolve().parent.parent


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
