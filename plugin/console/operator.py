"""Who may read the console's recent calls: the operator, never the API's users.

Recent calls tell who used the API, every user's calls alike, so no credential of the API (a
user's key or OAuth token, the service token) opens them, in any auth mode, proxy mode included.
Two callers may read them:

- a direct loopback caller in a development setup: the TCP peer is loopback, no trusted proxy
  stands in front (``PLUGIN_TRUSTED_PROXY_HOPS`` is 0, so the peer is the caller), the request
  carries no header a reverse proxy adds (one on the same host, left out of the settings, would
  make every caller loopback) and no ``PLUGIN_PUBLIC_URL`` says the server is published: the
  developer at ``localhost``;
- anyone sending the operator's ``PLUGIN_ADMIN_TOKEN`` as ``Authorization: Bearer <token>``,
  compared in constant time against its digest.

Anyone else gets a 401 whose description tells the operator how to get in.
"""

from __future__ import annotations

from werkzeug.datastructures import Headers

from ..asgi import Scope
from ..auth.base import credentials, digest_equals, secret_digest
from ..config import Settings
from ..errors import Unauthorized
from ..networks import client_address, proxied

__all__ = ["OperatorAccess"]

HOW = (
    "Recent calls are the operator's: set PLUGIN_ADMIN_TOKEN on the server and send it as "
    "'Authorization: Bearer <token>' (the console page asks for it)."
)


class OperatorAccess:
    """The check recent calls make, built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self._digest = secret_digest(settings.admin_token) if settings.admin_token else None
        self._development = settings.trusted_proxy_hops == 0 and not settings.public_url

    def check(self, scope: Scope, headers: Headers) -> None:
        """Return if the caller is the operator; otherwise raise a 401 saying how to be one."""
        if self._development:
            peer = client_address(scope, 0)
            if peer is not None and peer.is_loopback and not proxied(scope):
                return
        given = next(credentials(headers, "bearer"), None)
        if given is None:
            raise Unauthorized(HOW, headers={"WWW-Authenticate": 'Bearer realm="console"'})
        if self._digest is None or not digest_equals(given, self._digest):
            raise Unauthorized(
                "That is not the admin token. " + HOW,
                headers={
                    "WWW-Authenticate": 'Bearer realm="console", error="invalid_token", '
                    'error_description="That is not the admin token"'
                },
            )
