"""What one running app holds: its settings and its open store, reached through the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import Quart, current_app

from .config import Settings
from .recent_calls import RecentCalls
from .storage import Store

__all__ = ["AppState", "app_state"]

EXTENSION = "plugin"


@dataclass
class AppState:
    settings: Settings
    store: Store | None = field(default=None)
    recent_calls: RecentCalls = field(default_factory=RecentCalls)

    def install(self, app: Quart) -> None:
        app.extensions[EXTENSION] = self

    @property
    def open_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the store is opened when the app starts serving")
        return self.store


def app_state(app: Quart | None = None) -> AppState:
    state: AppState = (app or current_app).extensions[EXTENSION]
    return state
