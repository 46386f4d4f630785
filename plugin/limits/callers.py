"""Who a request is counted against: the caller that really sent it, never one a header invents.

- A credential that names a user (``user_http`` keys, ``oauth`` tokens): that user, however
  many keys, tokens or addresses they use.
- ``service_http``: every call from ChatGPT carries the one service token, so the token says
  nothing about who is calling. Once it has checked out, the request is ChatGPT's, and so is its
  ``openai-ephemeral-user-id`` header: the ChatGPT user it names is the caller. Authenticated
  calls without the header (another client holding the token) are one caller together.
- No credential (mode ``none``, public routes, failed authentications): the client address
  after the trusted proxies, for any client can put any value in a header. An IPv6 address
  counts by its /64, the block one subscriber gets, so a client cannot take a fresh address per
  request either. The one exception: an address inside ChatGPT's published egress ranges
  (``plugin/data/chatgpt_egress.json``) is ChatGPT, and counting it would make all of ChatGPT's
  users one caller, so there the ephemeral user the header names is the caller (the same key as
  in ``service_http``: a user whose calls leave from several egress addresses keeps one budget).
  An egress address without the header is a caller too, but a :attr:`Caller.shared` one.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from ..asgi import Scope, header
from ..auth import Identity
from ..config import Settings
from ..networks import IPAddress, Network, client_address, forwarded_hops, parse_networks

__all__ = ["Caller", "Callers", "EPHEMERAL_USER_HEADER"]

EPHEMERAL_USER_HEADER = b"openai-ephemeral-user-id"
MAX_HEADER = 128  # characters of the header kept in a key
SERVICE = "service"
CHATGPT = "chatgpt:"


class Caller(NamedTuple):
    """A caller no credential names."""

    key: str
    shared: bool = False  # an address all of ChatGPT's traffic leaves from, whoever sent it


def _ephemeral_user(scope: Scope) -> str | None:
    value = header(scope, EPHEMERAL_USER_HEADER)
    return value[:MAX_HEADER] if value else None


def _address_key(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"


class Callers:
    """The caller keys of one app's requests."""

    def __init__(self, settings: Settings) -> None:
        self._service_http = settings.auth == "service_http"
        self._hops = settings.trusted_proxy_hops
        self._proxies = settings.trusted_proxy_networks
        self._chatgpt: tuple[Network, ...] = parse_networks(["chatgpt"])

    def anonymous(self, scope: Scope) -> Caller:
        """A caller no credential names: its address, or the ChatGPT user ChatGPT names."""
        address = client_address(scope, forwarded_hops(scope, self._hops, self._proxies))
        if address is None:
            return Caller("address:-")
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
        if any(address in network for network in self._chatgpt):
            user = _ephemeral_user(scope)
            return Caller(f"{CHATGPT}{user}") if user else Caller(_address_key(address), True)
        return Caller(_address_key(address))

    def chatgpt_user(self, identity: Identity | None, scope: Scope) -> str | None:
        """The ChatGPT user ``openai-ephemeral-user-id`` names, where it is believed (as above);
        never beside a credential that names a user of its own."""
        if identity is not None and identity.user:
            return None
        if identity is not None and self._service_http:
            return _ephemeral_user(scope)
        key = self.anonymous(scope).key
        return key.removeprefix(CHATGPT) if key.startswith(CHATGPT) else None

    def of(self, identity: Identity | None, scope: Scope) -> str:
        """The caller of a request that ``identity`` (None: not authenticated) was made by."""
        if identity is not None and identity.user:
            return f"user:{identity.user}"
        if identity is not None and self._service_http:
            user = _ephemeral_user(scope)
            return f"{CHATGPT}{user}" if user else SERVICE
        return self.anonymous(scope).key
