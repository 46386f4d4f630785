"""``PLUGIN_RATE_LIMIT``: a budget of requests per caller, answered 429 with ``Retry-After``.

ChatGPT honours 429 and backs off. The caller is, in order: the user the credential names
(``user_http``, ``oauth``), the service token in ``service_http`` (all of ChatGPT's traffic
shares it), the ``openai-ephemeral-user-id`` header ChatGPT sends, else the client
address after the trusted proxies.

Each caller has a GCRA bucket (a token bucket kept as one timestamp): ``burst`` requests at
once, then one every ``period / count`` seconds. Counting is per worker process, in memory:
no request pays a database write for it. With N workers (or N instances) the effective budget
is up to N times the setting; see the README. Plugin files are answered before Quart and are
never limited; views marked :func:`unlimited` (health checks) neither.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from quart import Quart, g, request

from .asgi import Scope
from .config import Settings
from .errors import TooManyRequests
from .public_url import client_address
from .rates import Rate, parse_rate

__all__ = ["RateLimiter", "caller_key", "install_rate_limit", "unlimited"]

EPHEMERAL_USER_HEADER = "openai-ephemeral-user-id"
MAX_CALLERS = 100_000  # buckets kept before idle ones are swept
UNLIMITED_MARK = "_plugin_unlimited"
View = TypeVar("View", bound=Callable[..., Any])


def unlimited(view: View) -> View:
    """Exempt a view from rate limiting (health checks)."""
    setattr(view, UNLIMITED_MARK, True)
    return view


class RateLimiter:
    """GCRA per caller key: ``allow`` answers 0 or the seconds until the next request fits."""

    def __init__(self, rate: Rate, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = rate.period / rate.count
        self._tolerance = (burst or rate.count) * self._interval
        self._clock = clock
        self._next_free: dict[str, float] = {}

    def allow(self, key: str) -> float:
        now = self._clock()
        arrival = max(self._next_free.get(key, now), now) + self._interval
        wait = arrival - now - self._tolerance
        if wait > 0:
            return wait
        if len(self._next_free) >= MAX_CALLERS:
            self._sweep(now)
        self._next_free[key] = arrival
        return 0.0

    def _sweep(self, now: float) -> None:
        """Forget callers whose bucket is full again: they are the same as new ones."""
        self._next_free = {k: t for k, t in self._next_free.items() if t > now}


def caller_key(settings: Settings) -> str:
    """Who this request is counted against (see the module docstring for the order)."""
    identity = g.get("identity")
    user = getattr(identity, "user", None)
    if user:
        return f"user:{user}"
    if identity is not None and settings.auth == "service_http":
        return "service"  # authenticated, so it carried the one service token
    ephemeral = request.headers.get(EPHEMERAL_USER_HEADER)
    if ephemeral:
        return f"ephemeral:{ephemeral[:128]}"
    return "address:" + client_address(settings, cast(Scope, request.scope))


def install_rate_limit(app: Quart, settings: Settings) -> None:
    """Count every request that reaches a route (after authentication names the caller)."""
    rate = parse_rate(settings.rate_limit)
    if rate is None:
        return
    limiter = RateLimiter(rate, settings.rate_limit_burst)

    @app.before_request
    async def limit() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, UNLIMITED_MARK, False):
            return
        wait = limiter.allow(caller_key(settings))
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise TooManyRequests(
                f"Too many requests; retry after {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )
