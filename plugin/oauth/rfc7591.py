"""Dynamic client registration (RFC 7591) at ``POST /oauth/register``, for MCP clients.

ChatGPT's connectors, Claude and the MCP SDKs register themselves before their first sign-in.
A client asks for ``token_endpoint_auth_method`` ``none`` (a public client: no secret, PKCE
S256 required) or a secret-based method (a secret is issued once; PKCE still required, since
every MCP client sends it). Redirect URIs follow the CLI's rules: https, or http on a loopback
host, no fragment. Only what the server keeps is echoed back.

Registration is unauthenticated, and Claude and ChatGPT register every one of their users from
a few shared egress addresses, so a small per-address budget refuses honest users. The budget
per address is large (``oauth_registrations_per_address`` per ``signin_window``: a few hundred
users behind one address in a window are all served); what bounds a flood is what it can keep.
A client counts as used once a code is issued to it, which takes a real account's sign-in; the
clients nobody has used are pruned: past ``oauth_unused_client_ttl``, past the newest
``oauth_registrations_per_address`` from one address (an abuser pushes out its own), and past
``oauth_unused_clients`` overall (many addresses). Used clients, and clients the admin made, are
never pruned. Identical metadata is not merged into one client: an abuser varies one byte, the
secret of a confidential client is shown only once, and strangers would share a client id.
"""

from __future__ import annotations

import json
from typing import Any, cast

from quart import Blueprint, Response, request

from ..asgi import Scope
from ..auth import public
from ..public_url import client_address
from ..storage.records import UnusedClients
from ..strict_json import NotJSON, parse
from .clients import new_client
from .redirect_uris import registrable_redirect_uri
from .rfc6749_errors import NO_STORE, InvalidScope, OAuthError
from .server import current_server
from .signin_limits import check_budget, record_attempt

__all__ = ["blueprint"]

blueprint = Blueprint("oauth_register", __name__)

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_URI = 2048


class InvalidClientMetadata(OAuthError):
    error = "invalid_client_metadata"


class InvalidRedirectURI(OAuthError):
    error = "invalid_redirect_uri"


async def _metadata() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise InvalidClientMetadata("Send the client metadata as application/json.")
    try:
        body = parse(cast(bytes, await request.get_data(as_text=False)))
    except NotJSON as problem:
        raise InvalidClientMetadata(f"The JSON body is refused: {problem.reason}.") from None
    if not isinstance(body, dict):
        raise InvalidClientMetadata("The client metadata must be a JSON object.")
    return body


def _redirect_uris(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_REDIRECT_URIS
        or not all(isinstance(uri, str) for uri in value)
    ):
        raise InvalidRedirectURI(
            f"redirect_uris must be a list of 1 to {MAX_REDIRECT_URIS} URI strings."
        )
    for uri in value:
        problem = "is too long" if len(uri) > MAX_URI else registrable_redirect_uri(uri)
        if problem is not None:
            raise InvalidRedirectURI(f"The redirect URI {uri[:100]!r} {problem}.")
    return list(dict.fromkeys(value))


def _choice(metadata: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = metadata.get(name, default)
    if value not in allowed:
        raise InvalidClientMetadata(f"{name} must be one of {', '.join(allowed)}.")
    return str(value)


def _subset(
    metadata: dict[str, Any], name: str, allowed: tuple[str, ...], required: str
) -> list[str]:
    value = metadata.get(name, [required])
    if (
        not isinstance(value, list)
        or required not in value
        or not all(isinstance(item, str) and item in allowed for item in value)
    ):
        raise InvalidClientMetadata(
            f"{name} must include {required!r} and only {', '.join(allowed)}."
        )
    return list(dict.fromkeys(value))


@blueprint.post("/oauth/register")
@public
async def register() -> Response:
    server = current_server()
    settings = server.settings
    address = client_address(settings, cast(Scope, request.scope))
    budget = f"registration:{address}"
    await check_budget(
        server,
        budget,
        settings.oauth_registrations_per_address,
        "client registrations from this address",
    )
    metadata = await _metadata()
    redirect_uris = _redirect_uris(metadata.get("redirect_uris"))
    method = _choice(metadata, "token_endpoint_auth_method", AUTH_METHODS, "client_secret_basic")
    grant_types = _subset(metadata, "grant_types", GRANT_TYPES, "authorization_code")
    response_types = _subset(metadata, "response_types", ("code",), "code")
    scope = metadata.get("scope")
    if scope is not None:
        if not isinstance(scope, str):
            raise InvalidClientMetadata("scope must be a string.")
        try:
            scope = server.granted_scope(scope)
        except InvalidScope as error:
            raise InvalidClientMetadata(error.description) from None
    now = server.now()
    made = new_client(redirect_uris, now, public=method == "none", dynamic=True)
    unused = UnusedClients(
        per_address=settings.oauth_registrations_per_address,
        overall=settings.oauth_unused_clients,
        lifetime=settings.oauth_unused_client_ttl,
    )
    if not await server.store.add_dynamic_client(made.client, address, now, unused):
        raise InvalidClientMetadata("The client could not be registered; try again.")
    await record_attempt(server, budget)
    answer: dict[str, Any] = {
        "client_id": made.client.client_id,
        "client_id_issued_at": made.client.created_at,
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": method,
        "grant_types": grant_types,
        "response_types": response_types,
    }
    if made.secret is not None:
        answer.update(client_secret=made.secret, client_secret_expires_at=0)
    if scope is not None:
        answer["scope"] = scope
    return Response(
        json.dumps(answer), status=201, content_type="application/json", headers=NO_STORE
    )
