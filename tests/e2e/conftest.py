"""Real servers shared by the end-to-end tests of a session (each starts in about a second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SERVICE_TOKEN
from tests.servers import LiveServer

PUBLIC_URL = "https://plugin.example.com"
VERIFICATION_TOKEN = "verification-token-from-chatgpt"


def shared_server(folder: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(
        {"PLUGIN_DATABASE": str(folder / "plugin.sqlite3"), **env},
        log_path=folder / "server.log",
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Auth none, no public URL: what ``make run`` starts."""
    yield from shared_server(tmp_path_factory.mktemp("open"), {})


@pytest.fixture(scope="session")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """service_http (bearer) behind a public URL, as deployed."""
    yield from shared_server(
        tmp_path_factory.mktemp("secured"),
        {
            "PLUGIN_AUTH": "service_http",
            "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN,
            "PLUGIN_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
            "PLUGIN_PUBLIC_URL": PUBLIC_URL,
        },
    )


BEARER = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
