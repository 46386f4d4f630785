"""``python main.py check`` as a developer runs it: exit codes, --json, a live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO, LiveServer, free_port

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures" / "lint"


def _check(*args: str, root: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLUGIN_")}
    if root is not None:
        env["PLUGIN_ROOT"] = str(root)
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "check", *args],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_the_live_server_like_chatgpt(server: LiveServer) -> None:
    url = server.url.replace("127.0.0.1", "localhost")
    result = _check(url, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    assert report["target"] == url and report["findings"] == [] and report["ok"] is True


def test_exit_codes_and_json(plugin_root: Path) -> None:
    clean = _check(root=plugin_root)
    assert clean.returncode == 0 and "0 error(s), 0 warning(s)" in clean.stdout
    shutil.copy(FIXTURES / "missing_operation_id" / "openapi.yaml", plugin_root / "openapi.yaml")
    broken = _check("--json", root=plugin_root)
    assert broken.returncode == 1, broken.stderr + broken.stdout
    report = json.loads(broken.stdout)
    assert report["errors"] == 1
    assert set(report["findings"][0]) == {"severity", "path", "message", "fix"}
    unreachable = _check(f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 2 and "could not check" in unreachable.stderr
