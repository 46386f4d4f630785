"""The headers every page made for a person's browser sends: the console and the sign-in page.

Both must not be framed by another site (clickjacking: a sign-in form or the console's try-it
buttons under a decoy), sniffed into another type, or leak their URL as a referrer. Each page
gives its own Content-Security-Policy sources; what every page needs is added here.
"""

from __future__ import annotations

__all__ = ["page_headers"]


def page_headers(sources: str) -> dict[str, str]:
    """The headers for a page whose CSP allows ``sources`` (e.g. ``default-src 'self'``)."""
    return {
        "Content-Security-Policy": f"{sources}; frame-ancestors 'none'; base-uri 'none'",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
