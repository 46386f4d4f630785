"""Protected resource metadata (RFC 9728) for ``/mcp``: where MCP clients learn which
authorization server issues tokens for it.

Served at ``/.well-known/oauth-protected-resource/mcp`` (the path RFC 9728 section 3.1 derives
from the resource ``<base>/mcp``, and the one ``/mcp``'s 401 points to) and at the root
well-known path that older MCP clients try first; both describe the MCP endpoint.
"""

from __future__ import annotations

import json

from quart import Blueprint, Response

from ..auth import public
from ..mcp import MCP_PATH, RESOURCE_METADATA_PATH
from .rfc8414 import require_base_url
from .rfc8707 import mcp_resource
from .server import current_server

__all__ = ["METADATA_NAME", "blueprint"]

METADATA_NAME = "oauth-protected-resource"
PATH = RESOURCE_METADATA_PATH.removesuffix(MCP_PATH)

blueprint = Blueprint("oauth_resource_metadata", __name__)


@blueprint.get(PATH)
@blueprint.get(RESOURCE_METADATA_PATH)
@public
async def protected_resource_metadata() -> Response:
    settings = current_server().settings
    base_url = require_base_url(settings)
    body = {
        "resource": mcp_resource(base_url),
        "authorization_servers": [base_url],
        "bearer_methods_supported": ["header"],
        "scopes_supported": list(settings.oauth_scopes),
    }
    return Response(json.dumps(body), content_type="application/json")
