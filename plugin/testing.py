"""Testing a plugin folder for real: pytest fixtures that serve it with ``python main.py`` on a
free 127.0.0.1 port, so a plugin's tests call its operations as ChatGPT would, in a few lines.

A plugin's ``pytest.ini`` loads them (``addopts = -p plugin.testing``, as ``main.py new``
writes it); a test then takes ``api`` (an ``httpx.Client`` on the served plugin) or
``plugin_server``. The served folder is the nearest one above the test file that holds a
``manifest.json``; a ``conftest.py`` may override ``plugin_folder``, or ``plugin_env`` to serve
it with other ``PLUGIN_*`` settings. The server's own end-to-end tests start servers with the
same :class:`LiveServer`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest

from .config import PROJECT_ROOT

__all__ = ["LiveServer", "api", "free_port", "plugin_env", "plugin_folder", "plugin_server"]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """One server process; ``stop()`` sends SIGTERM like a process manager would."""

    def __init__(
        self,
        env: Mapping[str, str],
        args: Sequence[str] = (),
        port: int | None = None,
        log_path: Path | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.port = port or free_port()
        scheme = "https" if env.get("PLUGIN_CERTFILE") else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_")},
            **env,
        }
        self.args = list(args)
        # Another way to start the same app (e.g. ``hypercorn``); {port} is filled in.
        self.command = list(command) if command is not None else None
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> LiveServer:
        """Start the process and wait until it answers; RuntimeError with its log if it cannot."""
        if self.log_path is not None:
            with open(self.log_path, "ab") as log:
                self.process = self._spawn(log.fileno())
        else:
            self.process = self._spawn(subprocess.DEVNULL)
        return self._wait_ready(timeout)

    def _spawn(self, log: int) -> subprocess.Popen[bytes]:
        if self.command is None:
            main = str(PROJECT_ROOT / "main.py")
            command = [sys.executable, main, *self.args, "--port", str(self.port)]
        else:
            command = [part.format(port=self.port) for part in self.command]
        return subprocess.Popen(
            command,
            env=self.env,
            cwd="/",  # prove that nothing depends on the working directory
            stdout=log,
            stderr=log,
        )

    def _wait_ready(self, timeout: float) -> LiveServer:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1, verify=False)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start: {self.log()}")

    def log(self) -> str:
        """What the server has written to its log file so far."""
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def log_once(self, text: str, timeout: float = 5) -> str:
        """The log as soon as it holds ``text``: info lines reach it in batches (log_output.py)."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            assert time.monotonic() < deadline, f"{text!r} never logged:\n{log}"
            time.sleep(0.02)
        return log

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal the process and wait for its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the process if it still runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            self.kill()


@pytest.fixture(scope="module")
def plugin_folder(request: pytest.FixtureRequest) -> Path:
    """The plugin under test: the nearest folder above the test file with a manifest.json."""
    for folder in Path(request.path).parents:
        if (folder / "manifest.json").is_file():
            return folder
    pytest.fail(f"no manifest.json in a folder above {request.path}", pytrace=False)


@pytest.fixture(scope="module")
def plugin_env() -> dict[str, str]:
    """``PLUGIN_*`` settings the plugin is served with (none: auth ``none``, as ``make run``)."""
    return {}


@pytest.fixture(scope="module")
def plugin_server(
    plugin_folder: Path, plugin_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The plugin served on a free port with a fresh SQLite database and no rate limit, until
    the test module ends; its log is ``plugin_server.log()``."""
    folder = tmp_path_factory.mktemp("plugin")
    env = {
        "PLUGIN_ROOT": str(plugin_folder),
        "PLUGIN_DATABASE": str(folder / "plugin.sqlite3"),
        "PLUGIN_RATE_LIMIT": "off",
        **plugin_env,
    }
    with LiveServer(env, log_path=folder / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def api(plugin_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client whose relative URLs reach the served plugin."""
    with httpx.Client(base_url=plugin_server.url) as client:
        yield client
