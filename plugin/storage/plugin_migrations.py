"""A plugin's own migrations: numbered SQL files in its folder's ``migrations/``.

``001_create_notes.sql``, ``002_add_tags.sql``, ...: numbered from 1 without gaps, each applied
once in order and recorded in ``schema_version`` under the plugin's ``name_for_model``, so two
plugins sharing a database keep separate histories. A file is written once for SQLite and
PostgreSQL: the type words the two spell differently are ``{id}``, ``{bigint}``, ``{blob}`` and
``{double}``, as in the server's own history (migrations.py). A bad folder is refused with one
line before anything is applied.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from ..config import Settings
from .migrations import Schema, Steps

__all__ = ["MigrationsError", "load_schema", "plugin_schema"]

FILE_NAME = re.compile(r"([0-9]+)(?:_[A-Za-z0-9_.-]*)?\.sql")


class MigrationsError(ValueError):
    """A plugin's migrations folder cannot be used; the message is one line saying why."""


def _has_sql(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def _statements(path: Path) -> tuple[str, ...]:
    """The file's statements, split where SQLite's own parser says one is complete (so a ``;``
    inside a string or a trigger's body does not cut it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MigrationsError(f"{path}: cannot be read ({error})") from None
    statements: list[str] = []
    pending = ""
    for line in text.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                statements.append(pending.strip().rstrip(";").strip())
            pending = ""
    if _has_sql(pending):
        raise MigrationsError(f"{path}: the last statement has no closing ';'")
    if not statements:
        raise MigrationsError(f"{path}: no SQL statement in it")
    return tuple(statements)


def load_schema(folder: Path, name: str) -> Schema:
    """The migrations in ``folder`` as the schema ``name``; raises :class:`MigrationsError`."""
    numbered: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationsError(f"{path}: a migration is named NUMBER_description.sql")
        number = int(match[1])
        if number in numbered:
            raise MigrationsError(f"{path}: number {number} is also {numbered[number].name}")
        numbered[number] = path
    expected = list(range(1, len(numbered) + 1))
    if sorted(numbered) != expected:
        missing = sorted(set(expected) - set(numbered))[0]
        raise MigrationsError(
            f"{folder}: migrations are numbered from 1 without gaps; {missing} is missing"
        )
    steps: Steps = tuple((number, _statements(numbered[number])) for number in expected)
    return Schema(name, steps, str(folder))


def plugin_schema(settings: Settings) -> Schema | None:
    """The schema of the configured plugin: None if it has no ``migrations/`` folder, or in
    proxy mode, where its API (and data) are the upstream's."""
    root = settings.root
    folder = root / "migrations"
    if settings.upstream or not folder.is_dir():
        return None
    try:
        name = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["name_for_model"]
    except (OSError, ValueError, KeyError, TypeError):
        name = None
    if not isinstance(name, str) or not name:
        raise MigrationsError(
            f"{root / 'manifest.json'}: its name_for_model names the plugin's migrations; "
            "it must be a non-empty string"
        )
    return load_schema(folder, name)
