"""Rules on the bytes ChatGPT receives, the same for files on disk and answers over HTTP."""

from __future__ import annotations

from .findings import Finding, error

__all__ = ["MAX_RESPONSE_CHARS", "PNG_SIGNATURE", "check_png", "check_size"]

MAX_RESPONSE_CHARS = 100_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_size(where: str, body: bytes) -> list[Finding]:
    """ChatGPT fails any response over 100,000 characters (ResponseTooLarge)."""
    characters = len(body.decode("utf-8", errors="replace"))
    if characters <= MAX_RESPONSE_CHARS:
        return []
    return [
        error(
            where,
            f"is {characters:,} characters; ChatGPT rejects responses over {MAX_RESPONSE_CHARS:,}",
            "make it smaller (shorter descriptions, fewer operations)",
        )
    ]


def check_png(where: str, data: bytes) -> list[Finding]:
    if data.startswith(PNG_SIGNATURE):
        return []
    return [error(where, "is not a PNG image", "save the logo as PNG (512x512 is recommended)")]
