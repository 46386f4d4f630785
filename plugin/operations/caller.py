"""Who is calling an operation, as its handler sees it: the one place per-user isolation is
decided for a plugin's own data."""

from __future__ import annotations

from collections.abc import Callable

from ..auth import Identity
from ..errors import NotFound

__all__ = ["ME", "Caller"]

ME = "me"  # the name a signed-in caller uses for itself


class Caller:
    """The caller of one request.

    ``user`` is the signed-in user (``user_http`` keys, ``oauth`` tokens), None in the modes
    whose credential names nobody (``none``, ``service_http``). ``chatgpt_user`` is the ChatGPT
    user that ChatGPT's ``openai-ephemeral-user-id`` header names, only where it can be believed
    (after the service token, or from ChatGPT's published addresses: plugin/limits/callers.py),
    worked out on first use.
    """

    __slots__ = ("_chatgpt_user", "_find_chatgpt_user", "_identity")

    def __init__(self, identity: Identity, chatgpt_user: Callable[[], str | None]) -> None:
        self._identity = identity
        self._find_chatgpt_user: Callable[[], str | None] | None = chatgpt_user
        self._chatgpt_user: str | None = None

    @property
    def user(self) -> str | None:
        """The signed-in user, or None when the credential names nobody."""
        return self._identity.user

    @property
    def chatgpt_user(self) -> str | None:
        """ChatGPT's ephemeral id of its user, where believed; None otherwise."""
        if self._find_chatgpt_user is not None:
            self._chatgpt_user = self._find_chatgpt_user()
            self._find_chatgpt_user = None
        return self._chatgpt_user

    def owner_for(self, name: str) -> str:
        """Whose data a path's ``name`` reaches.

        Without a signed-in user (``none``, ``service_http``) the name itself, as in OpenAI's
        quickstart; with one, only the caller's own (by its name or ``me``): any other name is
        a 404, so a caller cannot even learn that another user exists."""
        user = self._identity.user
        if user is None:
            return name
        if name == ME or name == user:
            return user
        raise NotFound(f"Nothing here for user {name[:100]!r}.")

    def __repr__(self) -> str:
        return f"Caller(user={self.user!r})"
