"""The budgets of one app and the answer past them: 429 ``rate_limited`` with ``Retry-After``."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from quart import request
from werkzeug.datastructures import Headers

from ..asgi import Scope
from ..config import Settings
from ..errors import APIError, TooManyRequests
from ..rates import parse_rate
from .callers import Caller, Callers
from .gcra import Budget
from .shared import buckets_for

__all__ = ["RateLimits"]

MAX_BLOCKED = 10_000  # callers this process remembers as over their failed-authentication budget


def _budget(name: str, text: str, burst: int = 0) -> Budget | None:
    rate = parse_rate(text)
    return None if rate is None else Budget.of(name, rate, burst)


def _too_many(what: str, wait: float) -> TooManyRequests:
    """The 429 for a request over a budget, ``wait`` seconds before the next one fits."""
    retry_after = max(1, math.ceil(wait))
    return TooManyRequests(
        f"Too many {what}; retry after {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


class RateLimits:
    """Every budget of one app (None: switched off), counted in one set of buckets."""

    def __init__(self, settings: Settings) -> None:
        self.callers = Callers(settings)
        self.per_caller = _budget("caller", settings.rate_limit, settings.rate_limit_burst)
        self.service = _budget("service", settings.rate_limit_service)
        self.oauth_client = _budget("oauth-client", settings.rate_limit_oauth_client)
        self.failed_auth = _budget("failed-auth", settings.rate_limit_failed_auth)
        self._buckets = buckets_for(settings)
        self._key_header = settings.api_key_header
        # Callers over the failed-authentication budget, refused before their credentials are
        # even looked at: else the right key would still show through among the 429s.
        self._blocked: OrderedDict[str, float] = OrderedDict()

    @property
    def counting(self) -> bool:
        """Whether any budget is on."""
        budgets = (self.per_caller, self.service, self.oauth_client, self.failed_auth)
        return any(budget is not None for budget in budgets)

    async def open(self) -> None:
        """Open the buckets (a database connection for shared ones) if anything is counted."""
        if self.counting:
            await self._buckets.open()

    async def close(self) -> None:
        """Release the buckets."""
        await self._buckets.close()

    async def take(self, budget: Budget | None, caller: str, what: str) -> None:
        """Count one request of ``caller`` in ``budget``; past it, raise the 429."""
        if budget is None:
            return
        wait = await self._buckets.take(budget.key(caller), budget)
        if wait > 0:
            raise _too_many(what, wait)

    def api_authentication(self, headers: Headers) -> AbstractAsyncContextManager[None]:
        """:meth:`counting_failures` around the API's authentication of a request with these
        ``headers``: one that presents no credential at all is not a guess, so its 401 is not
        counted."""
        presented = "Authorization" in headers or (
            bool(self._key_header) and self._key_header in headers
        )
        return self.counting_failures(presented)

    def counting_failures(self, counted: bool = True) -> AbstractAsyncContextManager[None]:
        """Refuse a caller past its failed-authentication budget; count a 401 raised inside
        (when ``counted``) against the caller, a 429 once it is past the budget.

        A shared caller (a ChatGPT egress address) is never refused before its credentials are
        checked: a GPT someone set up with a wrong secret would lock out every other user's
        token refreshes from that address. Its failures still get 429 past the budget."""
        return _CountingFailures(self, counted)

    def _refuse_if_blocked(self, caller: Caller) -> None:
        until = self._blocked.get(caller.key)
        if until is None:
            return
        wait = until - time.monotonic()
        if wait > 0:
            raise _too_many("failed authentications", wait)
        del self._blocked[caller.key]

    async def _count_failure(self, budget: Budget, caller: Caller) -> None:
        wait = await self._buckets.take(budget.key(caller.key), budget)
        if wait <= 0:
            return
        if not caller.shared:
            self._blocked.pop(caller.key, None)
            self._blocked[caller.key] = time.monotonic() + wait
            if len(self._blocked) > MAX_BLOCKED:
                self._blocked.popitem(last=False)
        raise _too_many("failed authentications", wait)


class _CountingFailures:
    """:meth:`RateLimits.counting_failures`, a class rather than a generator: one is made for
    every request, and a generator's frame costs more to make and to run."""

    __slots__ = ("_counted", "_limits")

    def __init__(self, limits: RateLimits, counted: bool) -> None:
        self._limits = limits
        self._counted = counted

    async def __aenter__(self) -> None:
        limits = self._limits
        if limits.failed_auth is not None and limits._blocked:
            limits._refuse_if_blocked(limits.callers.anonymous(cast(Scope, request.scope)))

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> None:
        limits = self._limits
        budget = limits.failed_auth
        if budget is None or not self._counted or not isinstance(error, APIError):
            return
        if error.status_code == 401:
            caller = limits.callers.anonymous(cast(Scope, request.scope))
            await limits._count_failure(budget, caller)
