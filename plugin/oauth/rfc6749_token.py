"""The token endpoint (RFC 6749 section 3.2): ``authorization_code`` and ``refresh_token``.

Client credentials come in the body or an HTTP Basic header, which are GPT Actions' two "token
exchange methods"; the body is JSON or a form, which are the plugin manifest's two
``authorization_content_type`` values. A public client sends only its ``client_id``. An RFC 8707
``resource`` may repeat the authorization request's. Every answer carries ``no-store``.
"""

from __future__ import annotations

import json

from quart import Blueprint, Response

from ..auth import public
from ..limits import counted_by_view
from .client_limits import counted_client
from .params import body_params, request_base_url
from .rfc6749_errors import NO_STORE, InvalidRequest, UnsupportedGrantType
from .rfc8707 import resource_indicator
from .server import current_server

__all__ = ["blueprint"]

blueprint = Blueprint("oauth_token", __name__)


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise InvalidRequest(f"The parameter '{name}' is required.")
    return value


@blueprint.post("/oauth/token")
@public
@counted_by_view
async def token() -> Response:
    params = await body_params()
    server = current_server()
    client = await counted_client(server, params)
    grant_type = _required(params, "grant_type")
    resource = resource_indicator(request_base_url(server.settings), params.get("resource"))
    if grant_type == "authorization_code":
        answer = await server.exchange_code(
            client,
            _required(params, "code"),
            _required(params, "redirect_uri"),
            params.get("code_verifier"),
            resource,
        )
    elif grant_type == "refresh_token":
        answer = await server.refresh(
            client, _required(params, "refresh_token"), params.get("scope"), resource
        )
    else:
        raise UnsupportedGrantType(f"The grant type {grant_type!r} is not supported.")
    return Response(json.dumps(answer.as_json()), content_type="application/json", headers=NO_STORE)
