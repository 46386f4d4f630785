"""Rate limits: a budget per caller, answered 429 ``rate_limited`` with ``Retry-After``.

ChatGPT honours 429 and backs off. A limit protects the server from one caller only if it counts
the caller that really sent the request (``callers.py``): the user a credential names; in
``service_http`` the ChatGPT user that ChatGPT names once the service token has checked out (the
token itself is the same on every call); otherwise the client address, except that inside
ChatGPT's egress ranges the ChatGPT user is the caller. A header alone never buys a new budget.

The budgets (each ``N/period`` or ``off``):

- ``PLUGIN_RATE_LIMIT`` (60/minute, burst ``PLUGIN_RATE_LIMIT_BURST``): per caller, on every
  request that reaches a route. A person in a conversation makes a few calls a minute; a script
  that makes more than one a second is not a person.
- ``PLUGIN_RATE_LIMIT_SERVICE`` (off): every caller together, for an operator who wants a
  ceiling on the whole service whatever the number of users.
- ``PLUGIN_RATE_LIMIT_OAUTH_CLIENT`` (3000/minute): token and revocation requests, per
  authenticated client rather than per address. ChatGPT exchanges and refreshes the tokens of
  all its users from a few addresses with one client, an hourly refresh each: 3000/minute serves
  well over a hundred thousand active users, and a leaked client secret still cannot flood.
- ``PLUGIN_RATE_LIMIT_FAILED_AUTH`` (20/minute): failed authentications (a wrong service token,
  key, bearer token or client secret) per caller as above. Past it the caller is refused before
  its credentials are looked at, so a key cannot be guessed faster than one try every three
  seconds; a correct credential never spends this budget.

Counting happens once the route is known: plugin files are answered before Quart and never
counted, nor are views marked :func:`unlimited` (health checks). Views marked
:func:`counted_by_view` (the OAuth token endpoints) count themselves, in their own budget.
Where the buckets are kept, and why the limiter fails open, is in ``shared.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from quart import Quart, Request, current_app, g, request

from ..asgi import Scope
from .budgets import RateLimits
from .gcra import MAX_CALLERS, Buckets, Budget, MemoryBuckets

__all__ = [
    "MAX_CALLERS",
    "Budget",
    "Buckets",
    "MemoryBuckets",
    "RateLimits",
    "counted_by_view",
    "current_limits",
    "install_rate_limit",
    "unlimited",
]

EXTENSION = "rate_limits"
NOT_PER_CALLER = "_plugin_not_per_caller"
View = TypeVar("View", bound=Callable[..., Any])


def unlimited(view: View) -> View:
    """Exempt a view from rate limiting (health checks)."""
    setattr(view, NOT_PER_CALLER, True)
    return view


def counted_by_view(view: View) -> View:
    """Take a view out of the per-caller budget: it counts its requests itself."""
    return unlimited(view)


def current_limits() -> RateLimits:
    """The rate limits of the app handling this request."""
    limits: RateLimits = current_app.extensions[EXTENSION]
    return limits


def install_rate_limit(app: Quart, limits: RateLimits) -> None:
    """Count every request that reaches a route (after authentication names the caller)."""
    app.extensions[EXTENSION] = limits
    app.before_serving(limits.open)
    app.after_serving(limits.close)
    if limits.per_caller is None and limits.service is None:
        return

    @app.before_request
    async def limit() -> None:
        current = cast(Request, request._get_current_object())  # type: ignore[attr-defined]
        view = app.view_functions.get(current.endpoint or "")
        if getattr(view, NOT_PER_CALLER, False):
            return
        identity = g._get_current_object().get("identity")
        caller = limits.callers.of(identity, cast(Scope, current.scope))
        await limits.take(limits.per_caller, caller, "requests")
        await limits.take(limits.service, "all", "requests to this server")
