"""Making a client record: the same for the admin's ``oauth add-client`` and for a client that
registers itself at ``/oauth/register`` (RFC 7591).

A public client (``token_endpoint_auth_method`` ``none``) gets no secret: its record holds the
digest of a random secret nobody was told, so secret authentication can never succeed for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..auth.tokens import digest, new_id, new_secret
from ..storage.records import OAuthClient

__all__ = ["NewClient", "new_client"]


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # None for a public client


def new_client(
    redirect_uris: Sequence[str],
    now: int,
    *,
    chatgpt_callback: bool = False,
    presets: Sequence[str] = (),
    public: bool = False,
    dynamic: bool = False,
) -> NewClient:
    secret = new_secret()
    client = OAuthClient(
        client_id=new_id(),
        secret_hash=digest(secret),
        redirect_uris=tuple(dict.fromkeys(redirect_uris)),
        chatgpt_callback=chatgpt_callback,
        created_at=now,
        redirect_presets=tuple(dict.fromkeys(presets)),
        public=public,
        dynamic=dynamic,
    )
    return NewClient(client, None if public else secret)
