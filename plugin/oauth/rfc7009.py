"""Token revocation (RFC 7009): the client hands back an access or a refresh token.

The answer is 200 whether or not the token was known (section 2.2), so the endpoint tells an
attacker nothing; revoking a refresh token revokes every token of its grant.
"""

from __future__ import annotations

from quart import Blueprint, Response

from ..auth import public
from ..limits import counted_by_view
from .client_limits import counted_client
from .params import body_params
from .rfc6749_errors import NO_STORE, InvalidRequest
from .server import current_server

__all__ = ["blueprint"]

blueprint = Blueprint("oauth_revoke", __name__)


@blueprint.post("/oauth/revoke")
@public
@counted_by_view
async def revoke() -> Response:
    params = await body_params()
    server = current_server()
    client = await counted_client(server, params)
    token = params.get("token")
    if not token:
        raise InvalidRequest("The parameter 'token' is required.")
    await server.revoke(client, token)
    return Response(b"", status=200, headers=NO_STORE)
