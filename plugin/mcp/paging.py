"""An operation's own paging, as the result budget uses it: a ``limit`` and an ``offset`` query
parameter, and a field of the answer saying where the next page starts (the TODO list's
``limit``, ``offset`` and ``next_offset``).

Found by those names; ``x-mcp: {paging: {limit: ..., offset: ..., next: ...}}`` names others,
``x-mcp: {paging: false}`` turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_NAMES", "Paging", "find_paging"]

DEFAULT_NAMES = {"limit": "limit", "offset": "offset", "next": "next_offset"}


@dataclass(frozen=True, slots=True)
class Paging:
    """Tool argument names of the page size and start, and the answer's field for the next."""

    limit: str
    offset: str
    next: str


def find_paging(
    query: dict[str, str], output: dict[str, Any] | None, extension: dict[str, Any]
) -> tuple[Paging | None, str]:
    """The operation's paging, and why a declared one cannot be used ("" when it can).

    ``query`` maps each query parameter's API name to its tool argument name.
    """
    declared = extension.get("paging")
    if declared is False:
        return None, ""
    names = dict(DEFAULT_NAMES)
    if isinstance(declared, dict):
        names.update({key: str(declared[key]) for key in DEFAULT_NAMES if key in declared})
    fields = (output or {}).get("properties") or {}
    missing = [
        f"query parameter {names[key]!r}" for key in ("limit", "offset") if names[key] not in query
    ]
    if names["next"] not in fields:
        missing.append(f"answer field {names['next']!r}")
    if missing:
        if declared is None:
            return None, ""
        return None, "x-mcp paging names no " + " and no ".join(missing)
    return Paging(query[names["limit"]], query[names["offset"]], names["next"]), ""
