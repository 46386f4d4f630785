"""Helpers shared by the user-auth tests, in-app and end-to-end: a frozen clock and the
authorization flow driven the way a browser and ChatGPT drive it."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

PASSWORD = "correct horse battery staple"
EXACT_URI = "https://client.example/callback"
CHATGPT_URI = "https://chatgpt.com/aip/g-0123abcd/oauth/callback"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class FrozenClock:
    """The OAuth server's clock, moved by hand: expiry is tested without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, html
    return found.group(1)


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def authorize_params(
    client_id: str, redirect_uri: str, state: str = "st-1", **extra: str
) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": "",
        **extra,
    }


def sign_in_form(
    params: dict[str, Any],
    csrf: str,
    user: str = "ann",
    password: str = PASSWORD,
    decision: str = "allow",
) -> dict[str, str]:
    return {
        **params,
        "csrf_token": csrf,
        "username": user,
        "password": password,
        "decision": decision,
    }
