"""Password hashing with scrypt (memory-hard, in the standard library).

The parameters are stored with each hash, so they can be raised later without invalidating
existing accounts. Hashing takes tens of milliseconds on purpose; callers in the event loop run
it in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

__all__ = ["dummy_hash", "hash_password", "verify_password"]

N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_PASSWORD_BYTES = 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode()[:MAX_PASSWORD_BYTES],
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$key`` (base64)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, base64.b64decode(key))
    except ValueError:
        return False


@cache
def dummy_hash() -> str:
    """Checked against when the account does not exist, so an unknown name takes as long to
    refuse as a wrong password and response times do not reveal which accounts exist."""
    return hash_password(secrets.token_urlsafe(16))
