"""Which redirect URIs a client may use (RFC 6749 section 3.1.2; RFC 9700 section 4.1.3).

Registered URIs match exactly, byte for byte: no prefix, no normalisation, no trailing-slash
leniency. A client registered with ``--chatgpt-callback`` instead accepts ChatGPT's callback,
whose id segment changes each time a GPT's action is edited; the pattern is anchored at both
ends, fixes the scheme, the two hosts and every other path segment, and allows no port, no
userinfo, no query and no fragment. The MCP presets (``--chatgpt-connector``, ``--claude``) are
anchored the same way: ChatGPT's connector callbacks (developer mode's per-connector id, and the
apps platform's fixed one) and Claude's callback on both of its domains.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..storage.records import OAuthClient

__all__ = [
    "CHATGPT_CALLBACK",
    "REDIRECT_PRESETS",
    "allowed_redirect_uri",
    "registrable_redirect_uri",
]

CHATGPT_CALLBACK = re.compile(
    r"https://chat\.openai\.com/aip/[A-Za-z0-9_-]{1,128}/oauth/callback"
    r"|https://chatgpt\.com/aip/g-[A-Za-z0-9_-]{1,128}/oauth/callback"
)
REDIRECT_PRESETS = {
    "chatgpt-connector": re.compile(
        r"https://chatgpt\.com/connector/oauth/[A-Za-z0-9_-]{1,128}"
        r"|https://chatgpt\.com/connector_platform_oauth_redirect"
    ),
    "claude": re.compile(r"https://claude\.(?:ai|com)/api/mcp/auth_callback"),
}
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def allowed_redirect_uri(client: OAuthClient, uri: str) -> bool:
    if uri in client.redirect_uris:
        return True
    if client.chatgpt_callback and CHATGPT_CALLBACK.fullmatch(uri) is not None:
        return True
    return any(
        REDIRECT_PRESETS[name].fullmatch(uri) is not None
        for name in client.redirect_presets
        if name in REDIRECT_PRESETS
    )


def registrable_redirect_uri(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None if it can."""
    if any(character.isspace() or ord(character) < 0x21 for character in uri):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:  # a bracket that does not close, a port that is not a number to 65535
        return "must be a valid URL"
    if parts.fragment or "#" in uri:
        return "must not have a fragment (RFC 6749 3.1.2)"
    if port == 0:
        return "must not name port 0"
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return "must be an absolute URL with a host and no user information"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname.lower() in LOOPBACK:
        return None
    return "must use https (http only for localhost)"
