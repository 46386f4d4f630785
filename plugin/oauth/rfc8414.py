"""Authorization server metadata (RFC 8414) at ``/.well-known/oauth-authorization-server``.

The issuer is the public base URL, resolved the same trusted way as the manifest's URLs.
"""

from __future__ import annotations

import json
from typing import cast

from quart import Blueprint, Response, request

from ..asgi import Scope
from ..auth import public
from ..errors import BadRequest
from ..public_url import public_base_url
from .server import current_server

__all__ = ["METADATA_PATH", "blueprint", "metadata"]

METADATA_PATH = "/.well-known/oauth-authorization-server"
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

blueprint = Blueprint("oauth_metadata", __name__)


def metadata(base_url: str, scopes: tuple[str, ...]) -> dict[str, object]:
    return {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}/oauth/authorize",
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(scopes),
    }


@blueprint.get(METADATA_PATH)
@public
async def authorization_server_metadata() -> Response:
    server = current_server()
    base_url = public_base_url(server.settings, cast(Scope, request.scope))
    if base_url is None:
        raise BadRequest(
            "This server only derives its public URL for localhost; set PLUGIN_PUBLIC_URL."
        )
    body = metadata(base_url, server.settings.oauth_scopes)
    return Response(json.dumps(body), content_type="application/json")
