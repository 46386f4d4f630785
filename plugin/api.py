"""What a plugin's ``handlers.py`` imports: the one module between a plugin and the server.

A handler is a top-level ``async def`` named as an ``operationId`` of the plugin's spec. It
takes, by name, any of: the operation's parameters (checked and coerced as the spec declares,
defaults filled in; ``X-Trace-Id`` arrives as ``x_trace_id``), ``body`` (the checked JSON
body), ``caller`` (a :class:`Caller`) and ``db`` (the :class:`Database`). It returns a JSON-able
value (a 200), a :class:`Reply`, or raises one of the errors below, each rendered in the one
error envelope. docs/your-own-api.md is the reference.
"""

from __future__ import annotations

from .errors import (
    APIError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ValidationFailed,
)
from .operations import Caller, Reply
from .storage.database import ConstraintViolation, Database, Lock, Query, Row, Work

__all__ = [
    "APIError",
    "BadRequest",
    "Caller",
    "Conflict",
    "ConstraintViolation",
    "Database",
    "Forbidden",
    "Lock",
    "NotFound",
    "Problem",
    "Query",
    "Reply",
    "Row",
    "ValidationFailed",
    "Work",
]
