"""Shared fixtures: settings on a temporary folder, the app with its lifespan, real servers."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.config import PROJECT_ROOT

from .postgres import PostgresCluster
from .servers import LiveServer

SERVICE_TOKEN = "test-service-token-0123456789"


@pytest.fixture
def plugin_root(tmp_path: Path) -> Path:
    """A copy of the shipped plugin files that a test may edit."""
    root = tmp_path / "root"
    root.mkdir()
    for name in ("manifest.json", "openapi.yaml", "handlers.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    for folder in ("static", ".well-known", "migrations"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    return root


@pytest.fixture(autouse=True)
def answers_match_the_spec(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose app (with PLUGIN_CHECK_RESPONSES on) answered other than its spec says."""
    yield
    mismatches = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "plugin.operations.answers"
    ]
    assert not mismatches, mismatches


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the session; fails (never skips) if it cannot start."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that builds settings runs once on SQLite and once on a fresh PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "plugin.sqlite3")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def make_settings(database: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        # Rate limits have their own tests; elsewhere a busy test must not be throttled. Every
        # answer is checked against the spec (answers_match_the_spec below).
        values: dict[str, Any] = {
            "database": database,
            "rate_limit": "off",
            "check_responses": True,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Quart]:
    application = create_app(settings)
    async with application.test_app():
        yield application


@pytest.fixture
def client(app: Quart) -> QuartClient:
    return app.test_client()


MakeClient = Callable[..., Awaitable[QuartClient]]


@pytest.fixture
async def make_client(make_settings: Callable[..., Settings]) -> AsyncIterator[MakeClient]:
    """A test client for an app built with these settings, served until the test ends."""
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> QuartClient:
            application = create_app(make_settings(**overrides))
            await stack.enter_async_context(application.test_app())
            return application.test_client()

        yield make


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers; each is stopped at the end of the test."""
    started: list[LiveServer] = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None) -> LiveServer:
        server = LiveServer(
            {
                "PLUGIN_DATABASE": str(tmp_path / "live.sqlite3"),
                "PLUGIN_RATE_LIMIT": "off",
                **(env or {}),
            },
            args or [],
            log_path=tmp_path / f"server{len(started)}.log",
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        try:
            server.stop()
        finally:
            server.kill()


@pytest.fixture
def server(live_server: Callable[..., LiveServer]) -> LiveServer:
    """One real server with the default settings, for this test only."""
    return live_server()
