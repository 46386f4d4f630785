"""The last calls this server answered, so the console shows what the model sent."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Call", "RecentCalls", "is_console_path"]

CONSOLE_PREFIX = "/console/"


def is_console_path(path: str) -> bool:
    """The console's own page and API, which are neither forwarded nor recorded."""
    return path == "/" or path.startswith(CONSOLE_PREFIX)


@dataclass(frozen=True, slots=True)
class Call:
    at: float
    method: str
    path: str
    status: int
    ms: float


class RecentCalls:
    """A bounded ring, one per app; old calls fall off the end. The query is never kept.

    Recording is paid by every request and reading only by the console: calls are kept as
    plain tuples and become :class:`Call` objects when read."""

    def __init__(self, size: int = 100) -> None:
        self._calls: deque[tuple[float, str, str, int, float]] = deque(maxlen=size)

    def record(self, method: str, path: str, status: int, ms: float) -> None:
        if not is_console_path(path):
            self._calls.append((time.time(), method, path, status, ms))

    def as_json(self) -> list[dict[str, Any]]:
        """Newest first."""
        return [
            asdict(Call(at, method, path, status, round(ms, 1)))
            for at, method, path, status, ms in reversed(self._calls)
        ]
