"""What the end-to-end tests share: real servers for a whole session (each starts in about a
second), and Debian's Chromium driven by Playwright (never a browser that Playwright downloads;
``make test`` installs the package) with the screenshot folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from plugin.config import SERVERS
from tests.conftest import SERVICE_TOKEN
from tests.servers import REPO, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope, not session: Playwright's sync API holds an event loop in this thread while
# it is open, and the async tests of other modules need the thread's loop to themselves.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    """test-artifacts/ (git-ignored): screenshots for a person to look at."""
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


PUBLIC_URL = "https://plugin.example.com"
VERIFICATION_TOKEN = "verification-token-from-chatgpt"


def shared_server(folder: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(
        # Many tests share this server and its one caller address: no rate limit here.
        {"PLUGIN_DATABASE": str(folder / "plugin.sqlite3"), "PLUGIN_RATE_LIMIT": "off", **env},
        log_path=folder / "server.log",
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Auth none, no public URL: what ``make run`` starts."""
    yield from shared_server(tmp_path_factory.mktemp("open"), {})


@pytest.fixture(scope="session")
def uvicorn_open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``open_server`` on the other server, for the tests of what the server changes."""
    yield from shared_server(tmp_path_factory.mktemp("uvicorn"), {"PLUGIN_SERVER": "uvicorn"})


@pytest.fixture(params=SERVERS)
def open_server_on(request: pytest.FixtureRequest) -> LiveServer:
    """``open_server`` on each ASGI server (``PLUGIN_SERVER``) in turn."""
    name = "open_server" if request.param == "hypercorn" else f"{request.param}_open_server"
    server: LiveServer = request.getfixturevalue(name)
    return server


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
