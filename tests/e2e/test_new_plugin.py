"""A plugin from ``python main.py new`` as its author meets it: ``check`` passes, its own
test passes under the project's test command, and it serves over HTTP and ``/mcp``; and the
tutorial's plugin, built from docs/your-own-api.md's own files, passes ``check`` and its tests.
What ``new`` refuses is in tests/test_scaffold.py (the same command, in-process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plugin.config import Settings
from plugin.lint import check_root
from plugin.scaffold import write_plugin
from tests.servers import REPO, LiveServer

pytestmark = pytest.mark.slow

TUTORIAL = REPO / "docs" / "your-own-api.md"
SHOWN_FILE = re.compile(r'^```\w+ title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)
REMOVED = re.compile(r"^rm (.+)$", re.MULTILINE)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    """``command`` run from the repository as its author would, no PLUGIN_* of ours."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLUGIN_")}
    return subprocess.run(
        [sys.executable, *command], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("authors") / "daily-habits"
    done = run("main.py", "new", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reading list as the tutorial builds it: ``new``, its ``rm``, then every file it shows."""
    folder = tmp_path_factory.mktemp("tutorial") / "reading-list"
    write_plugin(folder)
    text = TUTORIAL.read_text()
    for line in REMOVED.findall(text):
        for name in line.split():
            (folder / name).unlink()
    shown = SHOWN_FILE.findall(text)
    assert len(shown) == 6, [name for name, _ in shown]
    for name, content in shown:
        (folder / name).write_text(content)
    return folder


def test_check_passes_without_a_warning(written: Path, tutorial: Path) -> None:
    done = run("main.py", "check", "--root", str(written))
    assert done.returncode == 0
    assert done.stdout == f"{written} passes: 0 error(s), 0 warning(s)\n"
    assert check_root(Settings(root=tutorial)).findings == []


def test_their_own_tests_pass_with_the_project_test_command(written: Path, tutorial: Path) -> None:
    # make test-quick PYTEST_ARGS=PATH/tests runs exactly this (one run for both: it is slow).
    done = run("-m", "pytest", "-m", "not slow", str(written / "tests"), str(tutorial / "tests"))
    assert done.returncode == 0, done.stdout
    assert "9 passed" in done.stdout


@pytest.fixture(scope="module")
def served(written: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("served")
    env = {"PLUGIN_ROOT": str(written), "PLUGIN_DATABASE": str(folder / "plugin.sqlite3")}
    with LiveServer(env, log_path=folder / "server.log") as server:
        yield server


def test_it_serves_its_operations_over_http_and_mcp(served: LiveServer) -> None:
    with httpx.Client(base_url=served.url) as http:
        done = http.post("/habits/ann", json={"habit": "stretch", "day": "2024-05-01"})
        assert done.json() == {"habit": "stretch", "day": "2024-05-01"}
        listed = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        tools = listed.json()["result"]["tools"]
        assert [tool["name"] for tool in tools] == ["list_habits", "check_in"]
        call = {"name": "check_in", "arguments": {"username": "ann", "habit": "stretch"}}
        called = http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call}
        )
        today = called.json()["result"]["structuredContent"]["day"]
        habits = http.get("/habits/ann", params={"days": 2}).json()["habits"]
        assert habits == [{"habit": "stretch", "times": 1, "last_day": today}]
