"""Real servers for end-to-end tests: ``python main.py`` on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
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
        if self.log_path is not None:
            with open(self.log_path, "ab") as log:
                self.process = self._spawn(log.fileno())
        else:
            self.process = self._spawn(subprocess.DEVNULL)
        return self._wait_ready(timeout)

    def _spawn(self, log: int) -> subprocess.Popen[bytes]:
        if self.command is None:
            command = [sys.executable, str(REPO / "main.py"), *self.args, "--port", str(self.port)]
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
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def log_once(self, text: str, timeout: float = 5) -> str:
        """The log as soon as it holds ``text``: info lines reach it in batches (log_output.py)."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            assert time.monotonic() < deadline, f"{text!r} never logged:\n{log}"
            time.sleep(0.02)
        return log

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill(self) -> None:
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
