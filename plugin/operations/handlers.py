"""Loading a plugin's ``handlers.py``: its public top-level ``async def``s are its handlers.

The file is loaded by path under a private module name, never through ``sys.path``, so a
plugin's own module names (``handlers``, ``models``, ...) cannot shadow or be shadowed by an
installed package, and two plugin folders never share a module. Loaded from the bytes the live
file read (``LiveFile``), so the code run is the code whose signature was checked.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..live_file import FileProblem

__all__ = ["HANDLERS_FILE", "Handlers", "load_handlers"]

HANDLERS_FILE = "handlers.py"

Handlers = dict[str, Callable[..., Any]]


def _module_name(path: Path) -> str:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    return f"_plugin_handlers_{digest}"


def _failure_line(path: Path, error: BaseException) -> int | None:
    """The line of ``path`` where ``error`` was raised (or, for a syntax error, found)."""
    if isinstance(error, SyntaxError) and error.filename == str(path):
        return error.lineno
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == str(path)
    ]
    return frames[-1].lineno if frames else None


def load_handlers(path: Path, data: bytes) -> Handlers:
    """The handlers ``data`` (the text of ``path``) defines; :class:`FileProblem` if it fails.

    A handler is a top-level ``async def`` defined in the file itself (not imported) whose
    name does not start with ``_``."""
    name = _module_name(path)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    previous = sys.modules.get(name)
    sys.modules[name] = module  # dataclasses and typing look the module up while it runs
    try:
        # The plugin's own code, run as an import of the file would run it.
        exec(compile(data, str(path), "exec"), module.__dict__)
    except Exception as error:
        if previous is not None:
            sys.modules[name] = previous
        else:
            del sys.modules[name]
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        raise FileProblem(path, f"cannot be loaded: {reason}", _failure_line(path, error)) from None
    return {
        key: value
        for key, value in vars(module).items()
        if not key.startswith("_")
        and inspect.iscoroutinefunction(value)
        and getattr(value, "__module__", None) == name
    }
