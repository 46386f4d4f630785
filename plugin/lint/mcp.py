"""Rules for the MCP tools ``/mcp`` builds from the spec: what an MCP client rejects (a tool
name it cannot use, two operations under one name, a required argument it cannot send) is an
error; what only makes a tool harder for the model to use (no description, an object schema
without properties) is a warning.

The server fixes names up and serves the tools anyway (see ``plugin.mcp.tools``); these
findings tell the developer what was changed and how to say it right in ``openapi.yaml``.
"""

from __future__ import annotations

from typing import Any

from ..mcp.tools import build_tools
from .findings import Finding
from .openapi import operation_path

__all__ = ["check_mcp"]


def check_mcp(spec: Any, reported: list[Finding]) -> list[Finding]:
    """The MCP problems of ``spec``, except at a place ``reported`` already names: a missing
    or duplicate operationId, or a body object without properties, is one finding, not two."""
    if not isinstance(spec, dict):
        return []
    taken = {finding.path for finding in reported}
    found = []
    for problem in build_tools(spec).issues:
        where = operation_path(problem.path, problem.method, problem.field)
        if where not in taken:
            found.append(Finding(problem.severity, where, f"MCP: {problem.message}", problem.fix))
    return found
