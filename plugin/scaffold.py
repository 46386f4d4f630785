"""``python main.py new PATH``: a plugin folder that works from its first minute.

It writes plugin/templates/scaffold/ (a small habit tracker: a spec of two operations, their
handlers, a migration, a logo, its pages and a test that serves it for real) with the names
taken from the folder's own name, so ``check`` passes and the test runs before a line is
edited. A folder that already holds anything is refused: nothing of a user's is overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from .config import PROJECT_ROOT, Settings

__all__ = ["plugin_names", "register", "write_plugin"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "scaffold"
FILLED = (".json", ".yaml", ".html", ".md")  # the files that hold {{name_for_...}} placeholders
SKIPPED = ("__pycache__", ".pytest_cache")
HUMAN_LENGTH = 20  # what the plugin store shows of name_for_human
MODEL_LENGTH = 50  # the manifest's limit for name_for_model


def plugin_names(folder_name: str) -> dict[str, str]:
    """``name_for_model`` (letters, digits and ``_``) and ``name_for_human`` from a folder
    name: ``my-habits`` gives ``my_habits`` and ``My Habits``."""
    words = re.findall(r"[A-Za-z0-9]+", folder_name) or ["my", "plugin"]
    model = "_".join(words).lower()[:MODEL_LENGTH].rstrip("_")
    human = " ".join(word[0].upper() + word[1:] for word in words)[:HUMAN_LENGTH].rstrip()
    return {"name_for_model": model, "name_for_human": human}


def _filled(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def write_plugin(folder: Path) -> dict[str, str]:
    """Write the scaffold into ``folder`` (created if missing); its names. ``FileExistsError``
    if ``folder`` is a file or a folder that is not empty."""
    if folder.is_file() or (folder.is_dir() and any(folder.iterdir())):
        raise FileExistsError(f"{folder} {'is a file' if folder.is_file() else 'is not empty'}")
    names = plugin_names(folder.resolve().name)
    for source in sorted(TEMPLATE.rglob("*")):
        relative = source.relative_to(TEMPLATE)
        if source.is_dir() or any(part in SKIPPED for part in relative.parts):
            continue
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in FILLED:
            target.write_text(_filled(source.read_text(encoding="utf-8"), names), "utf-8")
        else:
            target.write_bytes(source.read_bytes())
    return names


def _new(settings: Settings, args: argparse.Namespace) -> int:
    folder = Path(args.path).expanduser().absolute()
    try:
        names = write_plugin(folder)
    except FileExistsError as error:
        print(f"error: {error}: give a new or empty folder", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error.filename or folder}: {error.strerror or error}", file=sys.stderr)
        return 2
    database = f"data/{names['name_for_model']}.sqlite3"  # apart from the TODO list's
    print(
        f"wrote a habit tracker plugin ({names['name_for_model']}) in {folder}; "
        f"from {PROJECT_ROOT}:\n"
        f"  serve it:       PLUGIN_ROOT={folder} PLUGIN_DATABASE={database} make run\n"
        f"  check it:       .venv/bin/python main.py check --root {folder}\n"
        f"  run its tests:  .venv/bin/python -m pytest {folder}/tests\n"
        "then make it yours: openapi.yaml, handlers.py, migrations/ (docs/your-own-api.md)"
    )
    return 0


def register(commands: Any) -> None:
    """Add ``new PATH``."""
    new = commands.add_parser("new", help="write a new plugin folder to start from")
    new.add_argument(
        "path", help="the folder to create, or an empty one (from the working directory)"
    )
    new.set_defaults(handler=_new)
