"""A throwaway PostgreSQL cluster for the tests: Debian's binaries, a temporary folder, 127.0.0.1.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as ``nobody``.
If the cluster cannot start, the fixture fails (it never skips): CI must prove PostgreSQL works.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

from .servers import free_port

UNPRIVILEGED_USER = "nobody"


def postgres_bin() -> Path:
    """The newest installed server binaries (``make test`` installs Debian's postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version)
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `make test` (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name)


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]


class PostgresCluster:
    """``initdb`` + ``postgres`` on a free port; each test gets its own database."""

    def __init__(self, fsync: bool = False) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="plugin-pg-"))
        self.port = free_port()
        self.fsync = fsync
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 60) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, UNPRIVILEGED_USER)
        binaries = postgres_bin()
        data = self.folder / "data"
        log = self.folder / "postgres.log"
        subprocess.run(
            _as_postgres_user(
                [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
                + ["-E", "UTF8", "--no-sync", "--no-instructions"]
            ),
            check=True,
            capture_output=True,
        )
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                _as_postgres_user(
                    [str(binaries / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
                    + ["-p", str(self.port), "-k", str(self.folder)]
                    + ["-c", f"fsync={'on' if self.fsync else 'off'}", "-c", "max_connections=300"]
                ),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited: {log.read_text()}")
            try:
                asyncio.run(self._execute("SELECT 1"))
                return self
            except (OSError, asyncpg.PostgresError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start: {log.read_text()}")

    async def _execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self.url(), timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"test_{next(self._names)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY'))
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Signal the postmaster itself: runuser, its parent, does not pass SIGINT on.
            pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
            # "Immediate" shutdown: no final checkpoint, the cluster is thrown away anyway.
            os.kill(pid, signal.SIGQUIT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
