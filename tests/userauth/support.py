"""Helpers shared by the user-auth tests, in-app and end-to-end: a frozen clock, the
authorization flow driven the way a browser and ChatGPT drive it, and databases made by older
schema versions."""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
from pathlib import Path
from typing import Any

from plugin.storage.migrations import CORE

# What step 1 made before the todos table moved to the TODO plugin's own migrations/; the step
# itself now makes nothing.
VERSION_1_TODOS = (
    """CREATE TABLE todos (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX todos_owner_id ON todos (owner, id)",
)
PASSWORD = "correct horse battery staple"
EXACT_URI = "https://client.example/callback"
CHATGPT_URI = "https://chatgpt.com/aip/g-0123abcd/oauth/callback"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class FrozenClock:
    """The OAuth server's clock, moved by hand: expiry is tested without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, html
    return found.group(1)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def authorize_params(
    client_id: str, redirect_uri: str, state: str = "st-1", **extra: str
) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": "",
        **extra,
    }


def sign_in_form(
    params: dict[str, Any],
    csrf: str,
    user: str = "ann",
    password: str = PASSWORD,
    decision: str = "allow",
) -> dict[str, str]:
    return {
        **params,
        "csrf_token": csrf,
        "username": user,
        "password": password,
        "decision": decision,
    }


def old_database(path: Path, version: int) -> sqlite3.Connection:
    """A SQLite database as schema ``version`` made it, open for the test to fill and commit."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, statements in CORE.pending("sqlite", 0)[:version]:
        for statement in (*VERSION_1_TODOS, *statements) if number == 1 else statements:
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version VALUES (?)", (number,))
    return connection
