"""Proof Key for Code Exchange (RFC 7636), S256 only.

Honoured when the client sends a challenge, not required (ChatGPT's plugin flow sends none).
``plain`` is refused: it protects nothing against an attacker who can read the authorization
request (RFC 9700 section 2.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

__all__ = ["CHALLENGE", "verify_s256"]

# Section 4.1: 43 to 128 unreserved characters; an S256 challenge is 43 base64url characters.
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def verify_s256(verifier: str, challenge: str) -> bool:
    if not VERIFIER.fullmatch(verifier):
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return hmac.compare_digest(computed, challenge.encode())
