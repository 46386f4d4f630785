"""Running the admin commands as a user would: ``python main.py ... --json`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.servers import REPO


def run_cli(database: Path | str, *args: str, stdin: str = "") -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_")}
    env["PLUGIN_DATABASE"] = str(database)
    done = subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args, "--json"],
        input=stdin.encode(),
        env=env,
        cwd="/",
        capture_output=True,
        timeout=60,
    )
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr)
    return done.returncode, json.loads(lines[0])


def cli_ok(database: Path | str, *args: str, stdin: str = "") -> dict[str, Any]:
    status, answer = run_cli(database, *args, stdin=stdin)
    assert status == 0, answer
    return answer
