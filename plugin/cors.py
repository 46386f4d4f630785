"""CORS for ChatGPT: which origins may read an answer, and the preflight's answer.

quart-cors only decorates Quart responses and has no private-network preflight, which Chrome
requires before a public page (chatgpt.com) may call a localhost plugin; so this is ours, applied
to every answer by the edge layer (edge.py), the plugin files included. Origins match exactly,
credentials are never allowed, and every answer carries ``Vary: Origin`` so a cache never hands
one origin's headers to another.
"""

from __future__ import annotations

from collections.abc import Iterable

from .asgi import Send, send_error, send_response

__all__ = ["VARY", "CORSPolicy"]

ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
MAX_AGE = b"600"
VARY = (b"vary", b"Origin")


class CORSPolicy:
    def __init__(self, origins: Iterable[str], excluded_prefixes: tuple[str, ...] = ()) -> None:
        self._origins = frozenset(origin.encode("latin-1") for origin in origins)
        self._excluded = excluded_prefixes

    def allows(self, origin: bytes | None, path: str) -> bool:
        """Whether the page at ``origin`` may read the answer for ``path``."""
        return (
            origin is not None
            and origin in self._origins
            and not (self._excluded and path.startswith(self._excluded))
        )

    @staticmethod
    async def preflight(
        send: Send,
        origin: bytes | None,
        request_headers: bytes | None,
        private_network: bytes | None,
    ) -> int:
        """Answer a preflight (``origin`` None when it is not allowed); returns the status."""
        if origin is None:
            await send_error(
                send,
                403,
                "cors_origin_not_allowed",
                "This origin may not call this server; add it to PLUGIN_CORS_ORIGINS.",
                [VARY],
            )
            return 403
        headers = [
            VARY,
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", ALLOW_METHODS),
            (b"access-control-max-age", MAX_AGE),
        ]
        if request_headers:
            headers.append((b"access-control-allow-headers", request_headers))
        if private_network is not None and private_network.lower() == b"true":
            headers.append((b"access-control-allow-private-network", b"true"))
        await send_response(send, 204, b"", b"text/plain", headers)
        return 204
