"""Auth mode ``none``: anyone may call; the path names the user."""

from __future__ import annotations

from werkzeug.datastructures import Headers

from .base import Identity

__all__ = ["NoAuth"]

ANONYMOUS = Identity()


class NoAuth:
    async def authenticate(self, headers: Headers) -> Identity:
        return ANONYMOUS
