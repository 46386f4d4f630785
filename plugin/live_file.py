"""A file on disk, parsed again whenever it changes, with the last good version kept.

Each read costs one ``stat``, at most once per turn of the event loop (the requests one turn
runs share it, and a request that comes after an edit comes in a later turn); the file is
re-read only when its modification time, size or inode changes. An edit that breaks the file
does not take the plugin down: the previous parse
keeps being served, one log line names the file, the line and the reason, and ``problem`` holds
the same text for anyone who wants to show it. Fixing the file brings the new version back.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["FileProblem", "LiveFile"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class FileProblem(Exception):
    """A file that cannot be used, with where and why."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class LiveFile(Generic[T]):
    def __init__(self, path: Path, parse: Callable[[Path, bytes], T]) -> None:
        self.path = path
        self._fspath = os.fspath(path)  # os.stat converts a Path on every call
        self._parse = parse
        self._signature: tuple[int, int, int] | None = None
        self._value: T | None = None
        self.version = 0
        self.problem: FileProblem | None = None
        self._looked = False  # at the file, in this turn of the event loop

    def current(self) -> T:
        """The newest good parse; raises :class:`FileProblem` if there has never been one."""
        if self._looked and self._value is not None:
            return self._value
        try:
            asyncio.get_running_loop().call_soon(self._turn_ended)
            self._looked = True
        except RuntimeError:  # no loop runs (the CLI's check): look every time
            pass
        try:
            stat = os.stat(self._fspath)
            signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError as error:
            self._fail(FileProblem(self.path, error.strerror or "cannot be read"))
            signature = None
        if signature is not None and signature != self._signature:
            self._signature = signature
            self._reload()
        if self._value is None:
            raise self.problem or FileProblem(self.path, "was never loaded")
        return self._value

    def _turn_ended(self) -> None:
        self._looked = False

    def _reload(self) -> None:
        try:
            data = self.path.read_bytes()
            value = self._parse(self.path, data)
        except FileProblem as problem:
            self._fail(problem)
            return
        except OSError as error:
            self._fail(FileProblem(self.path, error.strerror or "cannot be read"))
            return
        if self.problem is not None:
            logger.info("%s is valid again", self.path)
        self._value = value
        self.problem = None
        self.version += 1

    def _fail(self, problem: FileProblem) -> None:
        if self.problem is None or str(self.problem) != str(problem):
            kept = " (serving the last good version)" if self._value is not None else ""
            logger.error("%s%s", problem, kept)
        self.problem = problem
