"""Authorization server metadata (RFC 8414) at ``/.well-known/oauth-authorization-server``.

The issuer is the public base URL, resolved the same trusted way as the manifest's URLs. With
MCP on, it also names the dynamic registration endpoint (RFC 7591) and the public clients'
``none`` authentication, and promises ``iss`` in authorization responses (RFC 9207).
"""

from __future__ import annotations

import json

from quart import Blueprint, Response

from ..auth import public
from ..config import Settings
from ..errors import BadRequest
from .params import request_base_url
from .server import current_server

__all__ = ["METADATA_PATH", "blueprint", "metadata", "require_base_url"]

METADATA_PATH = "/.well-known/oauth-authorization-server"
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

blueprint = Blueprint("oauth_metadata", __name__)


def metadata(base_url: str, settings: Settings) -> dict[str, object]:
    auth_methods = CLIENT_AUTH_METHODS + (["none"] if settings.mcp else [])
    body: dict[str, object] = {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}/oauth/authorize",
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(settings.oauth_scopes),
        "authorization_response_iss_parameter_supported": True,
    }
    if settings.mcp:
        body["registration_endpoint"] = f"{base_url}/oauth/register"
    return body


def require_base_url(settings: Settings) -> str:
    """The public base URL, or a 400 saying how to configure it."""
    base_url = request_base_url(settings)
    if base_url is None:
        raise BadRequest(
            "This server only derives its public URL for localhost; set PLUGIN_PUBLIC_URL."
        )
    return base_url


@blueprint.get(METADATA_PATH)
@public
async def authorization_server_metadata() -> Response:
    settings = current_server().settings
    body = metadata(require_base_url(settings), settings)
    return Response(json.dumps(body), content_type="application/json")
