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
    """A bounded ring, one per app; old calls fall off the end. The query is never kept."""

    def __init__(self, size: int = 100) -> None:
        self._calls: deque[Call] = deque(maxlen=size)

    def record(self, method: str, path: str, status: int, ms: float) -> None:
        if not is_console_path(path):
            self._calls.append(Call(time.time(), method, path, status, round(ms, 1)))

    def as_json(self) -> list[dict[str, Any]]:
        """Newest first."""
        return [asdict(call) for call in reversed(self._calls)]
