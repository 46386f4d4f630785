"""Rules binding the spec to the plugin's code: every operation has a handler in
``handlers.py``, every handler an operation, and each takes only what the router gives it.
The same check stops the server's start-up (``plugin.operations``)."""

from __future__ import annotations

from ..config import Settings
from ..live_file import FileProblem
from ..operations import operations_problem
from .findings import Finding, error

__all__ = ["check_handlers"]

FIX = (
    "give each operationId of openapi.yaml an async def of that name in handlers.py, taking only "
    "its parameters, body, caller and db (docs/your-own-api.md)"
)


def check_handlers(settings: Settings) -> list[Finding]:
    """One error when the handlers under ``settings.root`` cannot serve its spec (none for an
    operationId missing or repeated: the OpenAPI rules report it)."""
    problem = operations_problem(settings)
    if problem is None:
        return []
    if isinstance(problem, FileProblem):
        where = f"{problem.path.name}: line {problem.line}" if problem.line else problem.path.name
        return [error(where, problem.reason, "correct the code there; the server will not start")]
    if problem.spec_rule:
        return []
    where, _, reason = str(problem).partition(": ")
    return [error(where, reason, FIX)]
