"""A plugin's own API: the operations of its ``openapi.yaml``, answered by the handlers of its
``handlers.py``, with every parameter and body checked against the spec first.

    handlers.py    loading the plugin's handlers (by file path, under a private module name)
    schemas.py     the spec's schemas compiled (jsonschema_rs); failures told without values
    parameters.py  a parameter read from the request: coerced, defaulted, checked
    compiled.py    spec + handlers -> operations, every mismatch found before a request is
    binding.py     a request -> the handler's checked arguments
    caller.py      who is calling, and whose data a name reaches
    answers.py     a handler's return value -> the response; the answer checked against the spec
    routes.py      the operations as rules in the app's URL map, swapped when the files change

In proxy mode (``PLUGIN_UPSTREAM``) there are no handlers: the upstream answers every operation.
"""

from __future__ import annotations

import sys
from typing import Any

from ..config import Settings
from ..documents import parse_spec
from ..live_file import FileProblem, LiveFile
from .answers import Reply
from .caller import Caller
from .compiled import OperationsProblem
from .handlers import HANDLERS_FILE, load_handlers
from .routes import LiveOperations, Router

__all__ = [
    "Caller",
    "LiveOperations",
    "OperationsProblem",
    "Reply",
    "Router",
    "check_at_startup",
    "live_operations",
    "operations_problem",
]


def live_operations(settings: Settings, spec: LiveFile[dict[str, Any]]) -> LiveOperations | None:
    """The operations of ``spec`` bound to the handlers of ``settings.root``; None in proxy
    mode. ``Router(app, ...)`` then routes them: after every other route is added.

    Raises :class:`OperationsProblem` or :class:`FileProblem` when the handlers cannot be
    loaded or do not fit the spec; a spec broken since start-up serves no operation until it
    is fixed."""
    if settings.upstream:
        return None
    handlers = LiveFile(settings.root / HANDLERS_FILE, load_handlers)
    return LiveOperations(spec, handlers, settings.reload_handlers)


def operations_problem(settings: Settings) -> FileProblem | OperationsProblem | None:
    """Why the handlers under ``settings.root`` cannot serve its spec (its text is one line);
    None when they fit, or in proxy mode, which has no handlers."""
    if settings.upstream:
        return None
    try:
        live_operations(settings, LiveFile(settings.root / "openapi.yaml", parse_spec))
    except (FileProblem, OperationsProblem) as problem:
        return problem
    return None


def check_at_startup(settings: Settings) -> int:
    """0, or 2 after one line on stderr saying why the operations cannot be served."""
    problem = operations_problem(settings)
    if problem is None:
        return 0
    print(f"error: {problem}", file=sys.stderr)
    return 2
