"""The authorization endpoint (RFC 6749 section 4.1.1): a sign-in and consent page.

``GET /oauth/authorize`` checks the request and shows the page; the page's form POSTs back to
the same URL with the request's parameters, a CSRF token and the user's name and password.

Errors follow section 4.1.2.1: while the client or its redirect URI is in doubt the user sees an
error page and is never redirected (an open redirector would hand codes to an attacker); once
both are known good, every other error goes back to the client with ``error`` and ``state``.
Every redirect, code or error, also carries ``iss`` (RFC 9207), so a client talking to several
authorization servers can tell which one answered (mix-up attacks). Public and self-registered
clients must send a PKCE challenge; an RFC 8707 ``resource`` is checked here and kept with the
code.

CSRF: a double-submit token, set as a ``SameSite=Strict`` cookie with the page and echoed in a
hidden field; a cross-site POST carries neither. The page may not be framed (clickjacking), is
never cached and sends no referrer (the URL holds ``state``). Its CSP has no ``form-action``:
browsers apply that to the redirect after the POST, which goes to the client.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode, urlsplit

from quart import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

from ..asgi import Scope
from ..auth import public
from ..auth.base import secrets_equal
from ..auth.passwords import dummy_hash, verify_password
from ..errors import APIError
from ..page_security import page_headers
from ..public_url import client_address
from ..storage.records import OAuthClient
from .params import query_pairs, request_base_url
from .redirect_uris import allowed_redirect_uri
from .rfc6749_errors import (
    AccessDenied,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnsupportedResponseType,
)
from .rfc7636 import CHALLENGE
from .rfc8707 import InvalidTarget, resource_indicator
from .server import VSCHARS, current_server, needs_pkce
from .signin_limits import check_signin_allowed, record_signin_failure

__all__ = ["blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("oauth_authorize", __name__)

PATH = "/oauth/authorize"
CSRF_COOKIE = "oauth_csrf"
CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
)
MAX_FIELD = 2048
UNKNOWN_CLIENT = "This application is not registered here."


class ErrorPage(APIError):
    """An error shown to the user, never sent to the client's redirect URI."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status_code = status
        self.error = error


class RedirectError(Exception):
    def __init__(self, error: OAuthError, redirect_uri: str, state: str | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthorizationRequest:
    client: OAuthClient
    redirect_uri: str
    state: str | None
    scope: str
    code_challenge: str | None
    resource: str | None
    carried: dict[str, str]

    def fail(self, error: OAuthError) -> RedirectError:
        return RedirectError(error, self.redirect_uri, self.state)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


async def _validate(pairs: list[tuple[str, str]]) -> AuthorizationRequest:
    grouped = _grouped(pairs)
    server = current_server()
    client_ids = grouped.get("client_id", [])
    if len(client_ids) != 1 or not client_ids[0]:
        raise ErrorPage(400, "invalid_request", "The request needs exactly one client_id.")
    client = await server.find_client(client_ids[0][:MAX_FIELD])
    if client is None:
        raise ErrorPage(400, "invalid_client", UNKNOWN_CLIENT)
    redirect_uris = grouped.get("redirect_uri", [])
    if len(redirect_uris) != 1 or not allowed_redirect_uri(client, redirect_uris[0]):
        raise ErrorPage(
            400,
            "invalid_redirect_uri",
            "The redirect_uri is missing, repeated or not registered for this application.",
        )
    redirect_uri = redirect_uris[0]
    states = grouped.get("state", [])
    state = states[0] if len(states) == 1 else None

    def fail(error: OAuthError) -> RedirectError:
        return RedirectError(error, redirect_uri, state)

    for name, values in grouped.items():
        if len(values) > 1:
            raise fail(InvalidRequest(f"The parameter '{name}' is repeated."))
        if len(values[0]) > MAX_FIELD:
            raise fail(InvalidRequest(f"The parameter '{name}' is too long."))
    single = {name: values[0] for name, values in grouped.items()}
    response_type = single.get("response_type")
    if not response_type:
        raise fail(InvalidRequest("The parameter 'response_type' is required."))
    if response_type != "code":
        raise fail(UnsupportedResponseType("Only response_type=code is supported."))
    try:
        scope = server.granted_scope(single.get("scope"))
    except InvalidScope as error:
        raise fail(error) from None
    challenge = single.get("code_challenge")
    method = single.get("code_challenge_method")
    if challenge is None and method is not None:
        raise fail(InvalidRequest("code_challenge_method was sent without a code_challenge."))
    if challenge is not None:
        if method != "S256":
            raise fail(InvalidRequest("Only code_challenge_method=S256 is supported."))
        if not CHALLENGE.fullmatch(challenge):
            raise fail(InvalidRequest("The code_challenge is not an S256 challenge."))
    elif needs_pkce(client):
        raise fail(InvalidRequest("This client must use PKCE: send an S256 code_challenge."))
    try:
        resource = resource_indicator(request_base_url(server.settings), single.get("resource"))
    except InvalidTarget as error:
        raise fail(error) from None
    carried = {name: single[name] for name in CARRIED if name in single}
    return AuthorizationRequest(client, redirect_uri, state, scope, challenge, resource, carried)


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    """303 to the client's URI, keeping its own query (RFC 6749 section 3.1.2), with ``iss``."""
    issuer = request_base_url(current_server().settings)
    if issuer is not None:
        params = {**params, "iss": issuer}
    separator = "&" if urlsplit(redirect_uri).query else ("" if redirect_uri.endswith("?") else "?")
    location = redirect_uri + separator + urlencode(params)
    return Response(b"", status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _redirect_error(failure: RedirectError) -> Response:
    params = {"error": failure.error.error, "error_description": failure.error.description}
    if failure.state is not None:
        params["state"] = failure.state
    return _redirect(failure.redirect_uri, params)


def _secure(response: Response, nonce: str) -> Response:
    response.headers.update(
        page_headers(f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'")
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best != "application/json"


async def _error(error: APIError) -> Response:
    """An error page for a person, or the JSON envelope for a program that asked for JSON."""
    if not _wants_html():
        return error.response()
    nonce = secrets.token_urlsafe(16)
    html = await render_template(
        "oauth/error.html", error=error.error, description=error.description, nonce=nonce
    )
    response = Response(html, status=error.status_code, content_type="text/html; charset=utf-8")
    response.headers.update(error.headers)
    return _secure(response, nonce)


async def _page(
    authorization: AuthorizationRequest,
    csrf: str,
    status: int = 200,
    message: str | None = None,
    username: str = "",
) -> Response:
    nonce = secrets.token_urlsafe(16)
    html = await render_template(
        "oauth/authorize.html",
        client_id=authorization.client.client_id,
        redirect_host=urlsplit(authorization.redirect_uri).hostname,
        scope=authorization.scope,
        carried=authorization.carried,
        csrf=csrf,
        message=message,
        username=username,
        nonce=nonce,
    )
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    secure_cookie = request.scheme == "https" or current_server().settings.base_url.startswith(
        "https:"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, path=PATH, httponly=True, samesite="Strict", secure=secure_cookie
    )
    return _secure(response, nonce)


@blueprint.get(PATH)
@public
async def authorize_page() -> Response:
    try:
        authorization = await _validate(query_pairs(request.args))
    except ErrorPage as error:
        return await _error(error)
    except RedirectError as failure:
        return _redirect_error(failure)
    csrf = request.cookies.get(CSRF_COOKIE, "")
    if len(csrf) != 43:
        csrf = secrets.token_urlsafe(32)
    return await _page(authorization, csrf)


@blueprint.post(PATH)
@public
async def authorize_submit() -> Response:
    if request.mimetype != "application/x-www-form-urlencoded":
        return await _error(ErrorPage(400, "invalid_request", "Submit the sign-in form."))
    form: MultiDict[str, str] = await request.form
    pairs = query_pairs(form)
    csrf = request.cookies.get(CSRF_COOKIE, "")
    given = form.get("csrf_token", "")
    if not csrf or not given or not secrets_equal(given, csrf):
        return await _error(
            ErrorPage(403, "csrf_failed", "The sign-in form expired; go back and start again.")
        )
    oauth_pairs = [(name, value) for name, value in pairs if name in CARRIED]
    try:
        authorization = await _validate(oauth_pairs)
        if form.get("decision") != "allow":
            raise authorization.fail(AccessDenied("The user declined."))
        user = await _sign_in(form.get("username", ""), form.get("password", ""))
    except ErrorPage as error:
        return await _error(error)
    except RedirectError as failure:
        return _redirect_error(failure)
    except _WrongPassword as wrong:
        return await _page(authorization, csrf, 401, "Wrong user name or password.", wrong.name)
    except APIError as error:  # too many attempts
        return await _error(error)
    server = current_server()
    code = await server.issue_code(
        authorization.client,
        user,
        authorization.redirect_uri,
        authorization.scope,
        authorization.code_challenge,
        authorization.resource,
    )
    if code is None:  # a self-registered client pruned while the user signed in
        return await _error(ErrorPage(400, "invalid_client", UNKNOWN_CLIENT))
    params = {"code": code}
    if authorization.state is not None:
        params["state"] = authorization.state
    return _redirect(authorization.redirect_uri, params)


class _WrongPassword(Exception):
    def __init__(self, name: str) -> None:
        super().__init__("wrong user name or password")
        self.name = name


async def _sign_in(name: str, password: str) -> str:
    server = current_server()
    name = name.strip()[:MAX_FIELD]
    # No account has a name outside VSCHAR, and PostgreSQL could not be asked about a NUL.
    account = name if VSCHARS.fullmatch(name) else ""
    address = client_address(server.settings, cast(Scope, request.scope))
    await check_signin_allowed(server, account, address)
    user = await server.store.get_user(account) if account else None
    stored = user.password_hash if user is not None else dummy_hash()
    valid = await asyncio.to_thread(verify_password, password, stored)
    if user is None or not valid:
        await record_signin_failure(server, account, address)
        logger.info("failed sign-in for an account from %s", address)
        raise _WrongPassword(name)
    return user.name
