"""Random secrets (keys, client secrets, codes, tokens) and the digests they are stored as.

They carry at least 256 bits from :mod:`secrets`, so a plain SHA-256 digest is enough to store
them: unlike passwords there is nothing to guess, and a fast digest lets a request find its
credential by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["digest", "new_id", "new_secret"]


def new_secret() -> str:
    """256 random bits as 43 characters of ``[A-Za-z0-9_-]``."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A short public identifier (key ids, client ids, grant ids); 96 random bits.

    Hex, not URL-safe base64: an id that starts with ``-`` is read as an option when it is
    passed to ``keys revoke`` or ``oauth remove-client``."""
    return secrets.token_hex(12)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
