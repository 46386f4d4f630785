"""Limits on failed sign-ins, per account and per address, so passwords cannot be guessed fast.

Failures are counted in the database over a sliding window, so the limit holds across worker
processes and restarts. Only failures count: a user who signs in correctly is never slowed.
Dynamic client registrations (RFC 7591) are limited per address the same way, in the same
table and window (their subjects start with ``registration:``).
"""

from __future__ import annotations

from ..errors import APIError
from .server import AuthorizationServer

__all__ = ["TooManyAttempts", "check_signin_allowed", "record_signin_failure", "subjects"]


class TooManyAttempts(APIError):
    status_code = 429
    error = "too_many_requests"


def subjects(server: AuthorizationServer, account: str, address: str) -> list[tuple[str, int]]:
    settings = server.settings
    return [
        (f"account:{account}", settings.signin_failures_per_account),
        (f"address:{address}", settings.signin_failures_per_address),
    ]


async def check_signin_allowed(
    server: AuthorizationServer,
    limited: list[tuple[str, int]],
    counted: str = "failed sign-ins",
) -> None:
    """Raise :class:`TooManyAttempts` with ``Retry-After`` if any subject is over its limit."""
    now, window = server.now(), server.settings.signin_window
    for subject, limit in limited:
        count, oldest = await server.store.signin_failures(subject, now - window)
        if count >= limit and oldest is not None:
            retry_after = max(1, oldest + window - now)
            raise TooManyAttempts(
                f"Too many {counted}; try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
            )


async def record_signin_failure(
    server: AuthorizationServer, limited: list[tuple[str, int]]
) -> None:
    await server.store.record_signin_failure(
        [subject for subject, _ in limited], server.now(), server.settings.signin_window
    )
