"""Token and revocation requests, counted per client rather than per address.

ChatGPT exchanges and refreshes the tokens of all its users from a few egress addresses with one
client: a budget per address would refuse the refreshes of a busy plugin (and every session
after them), so an authenticated client has ``PLUGIN_RATE_LIMIT_OAUTH_CLIENT`` to itself. A
public client proves nothing by its ``client_id``, which anyone may send, so its budget is per
client and address. A request whose client fails to authenticate is a failed authentication of
its address (``PLUGIN_RATE_LIMIT_FAILED_AUTH``), which is how client secrets are kept from
being guessed.
"""

from __future__ import annotations

from typing import cast

from quart import request

from ..asgi import Scope
from ..limits import current_limits
from ..storage.records import OAuthClient
from .server import AuthorizationServer

__all__ = ["counted_client"]


async def counted_client(server: AuthorizationServer, params: dict[str, str]) -> OAuthClient:
    """The request's authenticated client, its request counted (or its failure, or a 429)."""
    limits = current_limits()
    async with limits.counting_failures():
        client = await server.client_from_headers_or_body(request.headers, params)
    caller = f"client:{client.client_id}"
    if client.public:
        caller += "@" + limits.callers.anonymous(cast(Scope, request.scope)).key
    await limits.take(limits.oauth_client, caller, "token requests from this client")
    return client
