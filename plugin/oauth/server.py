"""The authorization server's decisions, apart from HTTP: codes, tokens, rotation, revocation.

The endpoints (``rfc6749_authorize``, ``rfc6749_token``, ``rfc7009``) parse requests and call
this; it raises the RFC's errors as data. Time comes from an injected clock, so tests freeze it
instead of sleeping.

Tokens form families (RFC 9700 section 4.14.2): every token issued from one code belongs to one
grant. A refresh token is single use; presenting a rotated one again means it was stolen (or
the client lost a response), so the whole grant is revoked and the client must sign in again.
Replaying a used code revokes its grant too (RFC 6749 section 4.1.2).

A grant carries the audience (RFC 8707 ``resource``) its tokens were minted for; it is fixed
when the code is issued (or, at the latest, when the code is exchanged) and never changes after.
Public clients (RFC 7591 ``none``) identify themselves by ``client_id`` alone; PKCE, required
of them at the authorization endpoint, is what ties the code to the client that asked for it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from quart import current_app
from werkzeug.datastructures import Headers

from ..auth import Clock
from ..auth.base import secrets_equal
from ..auth.tokens import digest, new_id, new_secret
from ..config import Settings
from ..storage import Store
from ..storage.records import AuthorizationCode, Grant, IssuedToken, OAuthClient
from .rfc6749_errors import InvalidClient, InvalidGrant, InvalidRequest, InvalidScope
from .rfc7636 import verify_s256
from .rfc8707 import InvalidTarget

__all__ = [
    "EXTENSION",
    "VSCHARS",
    "AuthorizationServer",
    "TokenAnswer",
    "current_server",
    "needs_pkce",
]

# RFC 6749 appendix A's VSCHAR: what client ids are made of, and every account name too.
VSCHARS = re.compile(r"[\x20-\x7e]+")


@dataclass(frozen=True)
class TokenAnswer:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str

    def as_json(self) -> dict[str, object]:
        """RFC 6749 section 5.1."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


class AuthorizationServer:
    def __init__(self, settings: Settings, store: Callable[[], Store], clock: Clock) -> None:
        self.settings = settings
        self._store = store
        self._clock = clock

    def now(self) -> int:
        return int(self._clock())

    @property
    def store(self) -> Store:
        return self._store()

    def granted_scope(self, requested: str | None) -> str:
        """The scope to grant: empty, or configured scopes only (RFC 6749 section 3.3)."""
        words = (requested or "").split(" ")
        scopes = [word for word in words if word]
        unknown = [scope for scope in scopes if scope not in self.settings.oauth_scopes]
        if unknown:
            raise InvalidScope(f"Unknown scope {unknown[0]!r}.")
        return " ".join(dict.fromkeys(scopes))

    # clients

    async def find_client(self, client_id: str) -> OAuthClient | None:
        """The client ``client_id`` names; None for an id no client has, and for one that is
        not printable ASCII (RFC 6749 appendix A.1), which PostgreSQL cannot be asked (NUL)."""
        if not VSCHARS.fullmatch(client_id):
            return None
        return await self.store.get_oauth_client(client_id)

    async def client_from_headers_or_body(
        self, headers: Headers, params: dict[str, str]
    ) -> OAuthClient:
        """Authenticate the client by HTTP Basic or by ``client_id``/``client_secret`` in the
        body (RFC 6749 section 2.3.1), never both."""
        basic = _basic_credentials(headers)
        if basic is not None:
            basic_id, basic_secret = basic
            if "client_secret" in params or params.get("client_id", basic_id) != basic_id:
                raise InvalidRequest("Send the client credentials one way only.")
            return await self._client(basic_id, basic_secret, challenge=True)
        client_id = params.get("client_id")
        secret = params.get("client_secret")
        if client_id and secret is None:
            client = await self.find_client(client_id)
            if client is not None and client.public:
                return client
        if not client_id or secret is None:
            raise InvalidClient("Client authentication is required.")
        return await self._client(client_id, secret, challenge=False)

    async def _client(self, client_id: str, secret: str, challenge: bool) -> OAuthClient:
        client = await self.find_client(client_id)
        # Compare even for an unknown client so timing does not tell which ids exist.
        expected = client.secret_hash if client is not None else digest(new_secret())
        if not secrets_equal(digest(secret), expected) or client is None:
            headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if challenge else None
            raise InvalidClient("Unknown client or wrong client secret.", headers)
        return client

    # codes

    async def issue_code(
        self,
        client: OAuthClient,
        user: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        resource: str | None = None,
    ) -> str | None:
        """A new code for this sign-in; None if the client is no longer registered."""
        code = new_secret()
        now = self.now()
        added = await self.store.add_authorization_code(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=client.client_id,
                user=user,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=code_challenge,
                expires_at=now + self.settings.oauth_code_ttl,
                resource=resource,
            ),
            now,
        )
        return code if added else None

    async def exchange_code(
        self,
        client: OAuthClient,
        code: str,
        redirect_uri: str,
        verifier: str | None,
        resource: str | None = None,
    ) -> TokenAnswer:
        """RFC 6749 section 4.1.3, with RFC 7636 section 4.6 and RFC 8707 section 2.2."""
        code_hash = digest(code)
        stored = await self.store.get_authorization_code(code_hash)
        if stored is None or stored.client_id != client.client_id:
            raise InvalidGrant("Unknown authorization code.")
        if stored.grant_id is not None:
            await self.store.revoke_grant(stored.grant_id)
            raise InvalidGrant("The authorization code was already used.")
        if stored.expires_at <= self.now():
            raise InvalidGrant("The authorization code has expired.")
        if redirect_uri != stored.redirect_uri:
            raise InvalidGrant("redirect_uri differs from the authorization request's.")
        if stored.code_challenge is not None:
            if verifier is None or not verify_s256(verifier, stored.code_challenge):
                raise InvalidGrant("The code_verifier does not match the code_challenge.")
        elif verifier is not None:
            raise InvalidGrant("A code_verifier was sent for a code issued without PKCE.")
        elif needs_pkce(client):
            raise InvalidGrant("This client must use PKCE.")
        if stored.resource is not None and resource not in (None, stored.resource):
            raise InvalidTarget("The resource differs from the authorization request's.")
        grant = Grant(
            id=new_id(),
            client_id=client.client_id,
            user=stored.user,
            scope=stored.scope,
            created_at=self.now(),
            resource=stored.resource or resource,
        )
        answer, tokens = self._new_tokens(stored.scope)
        if not await self.store.redeem_authorization_code(code_hash, grant, tokens):
            used = await self.store.get_authorization_code(code_hash)
            if used is not None and used.grant_id is not None:
                await self.store.revoke_grant(used.grant_id)
            raise InvalidGrant("The authorization code was already used.")
        return answer

    # tokens

    def _new_tokens(self, scope: str) -> tuple[TokenAnswer, list[IssuedToken]]:
        now = self.now()
        access, refresh = new_secret(), new_secret()
        ttl = self.settings.oauth_access_token_ttl
        answer = TokenAnswer(access, refresh, ttl, scope)
        tokens = [
            IssuedToken(digest(access), "access", now + ttl),
            IssuedToken(digest(refresh), "refresh", now + self.settings.oauth_refresh_token_ttl),
        ]
        return answer, tokens

    async def refresh(
        self,
        client: OAuthClient,
        refresh_token: str,
        scope: str | None,
        resource: str | None = None,
    ) -> TokenAnswer:
        """RFC 6749 section 6, with rotation and replay detection."""
        token_hash = digest(refresh_token)
        stored = await self.store.get_token(token_hash)
        if stored is None or stored.kind != "refresh" or stored.grant.client_id != client.client_id:
            raise InvalidGrant("Unknown refresh token.")
        if stored.rotated:
            await self.store.revoke_grant(stored.grant.id)
            raise InvalidGrant("The refresh token was already used; the grant is revoked.")
        if stored.expires_at <= self.now():
            raise InvalidGrant("The refresh token has expired.")
        if resource is not None and resource != stored.grant.resource:
            raise InvalidTarget("The resource differs from the grant's.")
        granted = stored.grant.scope.split()
        if scope is not None:
            wanted = self.granted_scope(scope)
            if not set(wanted.split()) <= set(granted):
                raise InvalidScope("The scope asked for exceeds the grant's.")
        else:
            wanted = stored.grant.scope
        answer, tokens = self._new_tokens(wanted)
        if not await self.store.rotate_refresh_token(token_hash, tokens, self.now()):
            await self.store.revoke_grant(stored.grant.id)
            raise InvalidGrant("The refresh token was already used; the grant is revoked.")
        return answer

    async def revoke(self, client: OAuthClient, token: str) -> None:
        """RFC 7009 section 2.1: a refresh token takes its family with it; an unknown token,
        or another client's, is silently ignored."""
        stored = await self.store.get_token(digest(token))
        if stored is None or stored.grant.client_id != client.client_id:
            return
        if stored.kind == "refresh":
            await self.store.revoke_grant(stored.grant.id)
        else:
            await self.store.revoke_token(stored.token_hash)


def needs_pkce(client: OAuthClient) -> bool:
    """Public clients and self-registered (MCP) clients must use PKCE; the plugin flow's
    pre-registered confidential clients may not (ChatGPT sends no challenge)."""
    return client.public or client.dynamic


def _basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """``client_id:client_secret`` from an HTTP Basic header, each form-urlencoded."""
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient(
            "The Basic credentials are not valid base64.",
            {"WWW-Authenticate": 'Basic realm="oauth"'},
        ) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient(
            "The Basic credentials must be client_id:client_secret.",
            {"WWW-Authenticate": 'Basic realm="oauth"'},
        )
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


EXTENSION = "oauth"


def current_server() -> AuthorizationServer:
    """The authorization server of the app handling this request."""
    server: AuthorizationServer = current_app.extensions[EXTENSION]
    return server
