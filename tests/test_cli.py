"""The command line stops with one line naming the setting: never a traceback, never a hang."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.config import PROJECT_ROOT, SERVERS, Settings, load_settings
from plugin.serving import worker_environ


def run_main(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py"), "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # a database thread left running once kept the process alive here
        cwd=cwd,
    )


def assert_one_line(stderr: str, named: str) -> None:
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("error: ") and named in stderr
    assert "Traceback" not in stderr


def test_bad_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "not-a-port"]) != 0
    assert_one_line(capsys.readouterr().err, "PLUGIN_PORT")


def test_unknown_server_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--server", "gunicorn", "--port", "1"]) == 2
    assert_one_line(capsys.readouterr().err, "PLUGIN_SERVER must be hypercorn or uvicorn")


@pytest.mark.parametrize("server", SERVERS)
def test_a_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str], server: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        database = str(tmp_path / "plugin.sqlite3")
        assert main(["--server", server, "--port", port, "--database", database]) == 2
    assert_one_line(capsys.readouterr().err, f"PLUGIN_PORT {port} cannot be bound on 127.0.0.1")


def test_bad_environment_in_the_real_cli(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    result = run_main({"PLUGIN_AUTH": "magic", "PLUGIN_DATABASE": str(database)}, tmp_path)
    assert result.returncode != 0
    assert_one_line(result.stderr, "PLUGIN_AUTH")
    assert not database.exists()


def newer_schema(path: Path) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (999)")
    connection.close()


def a_folder(path: Path) -> None:
    path.mkdir()


def under_a_file(path: Path) -> None:
    path.parent.rmdir()
    path.parent.write_text("a file where the folder should be")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (newer_schema, "newer than this server knows"),
        (a_folder, "unable to open"),
        (under_a_file, "File exists"),
    ],
)
def test_unusable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], None], reason: str
) -> None:
    database = tmp_path / "sub" / "plugin.sqlite3"
    database.parent.mkdir()
    make(database)
    assert main(["--database", str(database), "--port", "1"]) != 0
    err = capsys.readouterr().err
    assert_one_line(err, "PLUGIN_DATABASE")
    assert reason in err


def test_a_file_that_is_not_a_database_in_the_real_cli(tmp_path: Path) -> None:
    database = tmp_path / "plugin.sqlite3"
    database.write_bytes(b"not a database, but not empty either" * 100)
    result = run_main({"PLUGIN_DATABASE": str(database)}, tmp_path)
    assert result.returncode != 0
    assert_one_line(result.stderr, "PLUGIN_DATABASE")
    assert database.read_bytes().startswith(b"not a database")  # left as it was


def test_workers_rebuild_one_mcp_state_secret(make_settings: Callable[..., Settings]) -> None:
    environ = worker_environ(make_settings())
    secret = environ["PLUGIN_MCP_STATE_SECRET"]
    assert len(secret) >= 32
    assert load_settings(environ).mcp_state_secret == secret  # every worker, the same key
    assert worker_environ(make_settings())["PLUGIN_MCP_STATE_SECRET"] != secret
    chosen = "s" * 40
    assert (
        worker_environ(make_settings(mcp_state_secret=chosen))["PLUGIN_MCP_STATE_SECRET"] == chosen
    )
