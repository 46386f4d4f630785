"""Limits on failed sign-ins that slow a guesser down without locking the owner out.

A limit on the account alone lets anyone who knows a user's name and a client id lock its owner
out: six wrong passwords from anywhere and the owner's right one is refused too. So the limits
fall on the address the guesses come from (after the trusted proxy hops), three counts read in
one statement:

- the pair (account, address): ``signin_failures_per_account`` failures for one account from one
  address, and that address waits until the oldest leaves the window. The owner's tries from
  their own address are their own: a guesser elsewhere never uses them up.
- the address: ``signin_failures_per_address`` failures from one address, whatever the accounts
  (one address guessing many accounts, or one common password on many).
- the account, from every address: past ``signin_failures_account_wide`` failures (a guess spread
  over many addresses), an address that has already failed for this account gets no further try
  until its failures leave the window. An address with none is never refused by it, so the owner
  still signs in from their own address (after a typo of theirs during such a guess, they wait
  with the rest); each guessing address is held to about one try per window instead of
  ``signin_failures_per_account``.

Failures are counted in the database over a sliding window (``signin_window``), so the limits
hold across worker processes, instances and restarts. Only failures count, and a refused attempt
is not one. The same table counts dynamic client registrations per address (rfc7591.py), with
:func:`check_budget` and :func:`record_attempt`.
"""

from __future__ import annotations

from ..errors import APIError
from .server import AuthorizationServer

__all__ = [
    "TooManyAttempts",
    "check_budget",
    "check_signin_allowed",
    "record_attempt",
    "record_signin_failure",
]


class TooManyAttempts(APIError):
    """429 with ``Retry-After``: the seconds until the count that refused drops under its limit."""

    status_code = 429
    error = "too_many_requests"


def _subjects(account: str, address: str) -> tuple[str, str, str]:
    """The pair, the account and the address (an address never holds a space)."""
    return f"signin:{address} {account}", f"account:{account}", f"address:{address}"


def _refuse_until(server: AuthorizationServer, retry_at: list[int], counted: str) -> None:
    """Raise :class:`TooManyAttempts` with ``Retry-After`` if any count is over its limit."""
    if retry_at:
        retry_after = max(1, max(retry_at) + server.settings.signin_window - server.now())
        raise TooManyAttempts(
            f"Too many {counted}; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


async def check_signin_allowed(server: AuthorizationServer, account: str, address: str) -> None:
    """Refuse (429) a sign-in to ``account`` from ``address`` while either is over its limit."""
    settings = server.settings
    pair, whole_account, whole_address = _subjects(account, address)
    since = server.now() - settings.signin_window
    counts = await server.store.signin_failures((pair, whole_account, whole_address), since)
    retry_at = []
    by_address = counts.get(whole_address)
    if by_address is not None and by_address.count >= settings.signin_failures_per_address:
        retry_at.append(by_address.oldest)
    by_pair = counts.get(pair)
    if by_pair is not None:
        by_account = counts.get(whole_account)
        if by_account is not None and by_account.count >= settings.signin_failures_account_wide:
            retry_at.append(by_pair.newest)
        elif by_pair.count >= settings.signin_failures_per_account:
            retry_at.append(by_pair.oldest)
    _refuse_until(server, retry_at, "failed sign-ins")


async def record_signin_failure(server: AuthorizationServer, account: str, address: str) -> None:
    """Count a failed sign-in to ``account`` from ``address``."""
    await record_attempt(server, *_subjects(account, address))


async def check_budget(server: AuthorizationServer, subject: str, limit: int, counted: str) -> None:
    """Refuse (429) once ``subject`` has ``limit`` attempts in the window."""
    since = server.now() - server.settings.signin_window
    seen = (await server.store.signin_failures((subject,), since)).get(subject)
    if seen is not None and seen.count >= limit:
        _refuse_until(server, [seen.oldest], counted)


async def record_attempt(server: AuthorizationServer, *subjects: str) -> None:
    """Count one attempt against each subject."""
    await server.store.record_signin_failure(subjects, server.now(), server.settings.signin_window)
