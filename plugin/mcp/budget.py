"""Tool results within each client's budget: never more characters than the client takes,
and never a result cut in the middle of its JSON.

The budget is what the request declares in ``_meta["anthropic/maxResultSizeChars"]``, else
``PLUGIN_MCP_RESULT_CHARS``. A result is measured by its text content (the API's JSON, which
the model reads; ``structuredContent`` is the same JSON). One over the budget is asked for
again with a smaller page when the operation has its own paging (:mod:`.paging`) and is
read-only (asking again must change nothing), so it comes back whole, with the API's own
cursor (``next_offset``) in ``structuredContent`` saying where to go on. Otherwise, or when one
item alone is over the budget, the answer is a tool error saying so: a cut result would be
invalid JSON, and a silent partial one a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .protocol import tool_error
from .tools import Tool

__all__ = ["MAX_RESULT_META", "fit_result", "result_budget"]

MAX_RESULT_META = "anthropic/maxResultSizeChars"

Run = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]  # arguments -> tool result


def result_budget(meta: dict[str, Any], default: int) -> int:
    """The characters this request's client takes: its declared limit, else ``default``."""
    declared = meta.get(MAX_RESULT_META)
    if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0:
        return declared
    return default


def _size(result: dict[str, Any]) -> int:
    return sum(len(block.get("text", "")) for block in result.get("content", ()))


NO_PAGING = "and the operation has no paging (limit and offset) to return it in parts"
NOT_READ_ONLY = "and a tool that is not read-only is not run again for a smaller page"
ONE_ITEM = "even one item at a time"


def _too_large(tool: Tool, size: int, budget: int, why: str) -> dict[str, Any]:
    description = (
        f"{tool.name} ran, but its result is {size} characters, over this client's limit of "
        f"{budget} ({MAX_RESULT_META}), {why}. Ask for less, or raise the client's limit."
    )
    return tool_error("result_too_large", description)


async def fit_result(
    tool: Tool, arguments: dict[str, Any], run: Run, budget: int
) -> dict[str, Any]:
    """The result of ``tool`` within ``budget`` characters: whole, a smaller page, or an error.

    Each smaller page is sized from the last one's characters per item, so a list of evenly
    sized items takes one more call; uneven ones shrink the page until it fits.
    """
    result = await run(arguments)
    size = _size(result)
    if result.get("isError") or size <= budget:
        return result
    structured = result.get("structuredContent")
    if tool.paging is None or not isinstance(structured, dict):
        return _too_large(tool, size, budget, NO_PAGING)
    # Asked again only if asking changes nothing: a write is never run twice for its answer.
    if tool.definition["annotations"]["readOnlyHint"] is not True:
        return _too_large(tool, size, budget, NOT_READ_ONLY)
    limit = max((len(value) for value in structured.values() if isinstance(value, list)), default=1)
    while limit > 1:
        limit = max(1, min(limit - 1, limit * budget // size))
        result = await run({**arguments, tool.paging.limit: limit})
        size = _size(result)
        if result.get("isError") or size <= budget:
            return result
    return _too_large(tool, size, budget, ONE_ITEM)
