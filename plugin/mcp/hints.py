"""A tool's annotations (``readOnlyHint``, ``destructiveHint``, ``idempotentHint``,
``openWorldHint``, ``title``), every one stated: OpenAI's app review rejects a tool that leaves
``destructiveHint`` to the client's default, and the MCP defaults (destructive, open world) are
the opposite of what a plugin's own API usually is.

Each hint comes from the HTTP method (RFC 9110 section 9.2: GET, HEAD, OPTIONS and TRACE are
safe; PUT and DELETE idempotent) and from ``x-openai-isConsequential``, and the operation's
``x-mcp`` may override any of them under its MCP name. ``x-mcp`` hints that contradict each
other or the method are served as written and reported, so ``check`` names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["HINTS", "Contradiction", "Hints", "derive_hints"]

HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
SAFE = frozenset({"get", "head", "options", "trace"})
IDEMPOTENT = SAFE | {"put", "delete"}
# Methods that change what they reach by their HTTP meaning: never read-only.
CHANGING = frozenset({"put", "patch", "delete"})
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Hints a client cannot honour together, at ``field`` of the operation."""

    severity: Literal["error", "warning"]
    field: str
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class Hints:
    annotations: dict[str, Any]
    confirm: bool  # ask the user before running it (2026-07-28 clients)
    problems: tuple[Contradiction, ...]


def _title(name: str) -> str:
    """``getTodos`` or ``get_todos`` as a person reads it: "Get todos"."""
    words = [word.lower() for word in WORD.findall(name)]
    return " ".join(words).capitalize() if words else name


def _derived(method: str, consequential: Any) -> dict[str, bool]:
    safe = method in SAFE
    hints = {
        "readOnlyHint": safe,
        "destructiveHint": method in CHANGING,
        "idempotentHint": method in IDEMPOTENT,
        "openWorldHint": False,
    }
    if consequential is True:  # GPT Actions: always ask; so not read-only, and clients ask
        hints.update(readOnlyHint=False, destructiveHint=not safe)
    elif consequential is False:
        hints["destructiveHint"] = False
    return hints


def _contradictions(method: str, hints: dict[str, Any], consequential: Any) -> list[Contradiction]:
    found = []
    verb = method.upper()
    if hints["readOnlyHint"] and hints["destructiveHint"]:
        found.append(
            Contradiction(
                "error",
                "x-mcp",
                "readOnlyHint and destructiveHint are both true: a read-only tool destroys nothing",
                "keep the one that is true of the operation",
            )
        )
    if hints["readOnlyHint"] and method in CHANGING:
        found.append(
            Contradiction(
                "error",
                "x-mcp.readOnlyHint",
                f"a {verb} is marked read-only, but a {verb} changes what it reaches",
                "remove readOnlyHint, or make the operation a GET if it only reads",
            )
        )
    if hints["destructiveHint"] and method in SAFE:
        found.append(
            Contradiction(
                "error",
                "x-mcp.destructiveHint",
                f"a {verb} is marked destructive, but a {verb} must not change anything "
                "(caches and crawlers may repeat it)",
                "make the operation a POST or DELETE, or remove destructiveHint",
            )
        )
    if consequential is True and hints["readOnlyHint"]:
        found.append(
            Contradiction(
                "error",
                "x-mcp.readOnlyHint",
                "x-openai-isConsequential is true (ask before running) but MCP clients are "
                "told the tool is read-only (run without asking)",
                "remove readOnlyHint, or set x-openai-isConsequential: false",
            )
        )
    if consequential is False and hints["destructiveHint"]:
        found.append(
            Contradiction(
                "warning",
                "x-mcp.destructiveHint",
                "x-openai-isConsequential is false (run without asking) but MCP clients are "
                "told the tool is destructive",
                "remove one of them, so ChatGPT's actions and MCP clients agree",
            )
        )
    return found


def derive_hints(
    method: str, name: str, operation: dict[str, Any], extension: dict[str, Any]
) -> Hints:
    """The annotations of the tool ``name`` for ``operation``, and whether it asks first.

    A tool asks for confirmation when it is consequential (``x-openai-isConsequential: true``)
    or destructive and not read-only, unless ``x-mcp.confirm`` says otherwise.
    """
    consequential = operation.get("x-openai-isConsequential")
    hints: dict[str, Any] = _derived(method, consequential)
    problems: list[Contradiction] = []
    for key in (*HINTS, "confirm"):
        if key in extension and not isinstance(extension[key], bool):
            problems.append(
                Contradiction(
                    "warning",
                    f"x-mcp.{key}",
                    f"x-mcp {key} must be true or false; ignored",
                    f"write {key}: true or {key}: false",
                )
            )
    stated = {key: extension[key] for key in HINTS if isinstance(extension.get(key), bool)}
    # One stated hint carries its counterpart: read-only destroys nothing, destructive writes.
    if stated.get("readOnlyHint") is True:
        hints["destructiveHint"] = False
    if stated.get("destructiveHint") is True:
        hints["readOnlyHint"] = False
    hints.update(stated)
    title = extension.get("title")
    if title is not None and not (isinstance(title, str) and title.strip()):
        problems.append(
            Contradiction(
                "warning", "x-mcp.title", "x-mcp title must be a text; ignored", "write title: ..."
            )
        )
    hints["title"] = title.strip() if isinstance(title, str) and title.strip() else _title(name)
    problems += _contradictions(method, hints, consequential)
    confirm = extension.get("confirm")
    if not isinstance(confirm, bool):
        confirm = consequential is True or (hints["destructiveHint"] and not hints["readOnlyHint"])
    return Hints(hints, confirm, tuple(problems))
