"""Rules for ``ai-plugin.json``: fields and types, the four auth shapes, length limits, and the
root-domain and HTTPS rules ChatGPT applies at install time (see shared PROTOCOL sections 2-3)."""

from __future__ import annotations

import re
from typing import Any

from .domains import host_of, is_local, on_root_domain, same_second_level
from .findings import Finding, error, warning

__all__ = ["check_manifest"]

WHERE = "manifest"
NAME_FOR_MODEL = re.compile(r"[A-Za-z0-9_]+")
REQUIRED: dict[str, type] = {
    "schema_version": str,
    "name_for_human": str,
    "name_for_model": str,
    "description_for_human": str,
    "description_for_model": str,
    "auth": dict,
    "api": dict,
    "logo_url": str,
    "contact_email": str,
    "legal_info_url": str,
}
TYPE_NAMES = {str: "a string", dict: "an object", bool: "true or false"}
# field: (hard limit, warning above, why the warning)
LENGTHS: dict[str, tuple[int, int | None, str]] = {
    "name_for_human": (50, 20, "the plugin store shows about 20 characters"),
    "name_for_model": (50, None, ""),
    "description_for_human": (120, 100, "the plugin store cuts it near 100 characters"),
    "description_for_model": (8000, None, ""),
}
AUTH_FIELDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "user_http": ("authorization_type",),
    "service_http": ("authorization_type", "verification_tokens"),
    "oauth": (
        "client_url",
        "scope",
        "authorization_url",
        "authorization_content_type",
        "verification_tokens",
    ),
}
AUTHORIZATION_TYPES = ("bearer", "basic")
OAUTH_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")


def _path(field: str) -> str:
    return f"{WHERE}: {field}"


def _fields(manifest: dict[str, Any]) -> list[Finding]:
    found = []
    for name, expected in REQUIRED.items():
        if name not in manifest:
            found.append(error(_path(name), "is missing", f"add {name!r} ({TYPE_NAMES[expected]})"))
        elif not isinstance(manifest[name], expected):
            found.append(
                error(
                    _path(name),
                    f"must be {TYPE_NAMES[expected]}",
                    f"make {name} a JSON value of that type",
                )
            )
    if manifest.get("schema_version", "v1") != "v1":
        found.append(error(_path("schema_version"), 'must be "v1"', 'set "schema_version": "v1"'))
    model_name = manifest.get("name_for_model")
    if isinstance(model_name, str) and not NAME_FOR_MODEL.fullmatch(model_name):
        found.append(
            error(
                _path("name_for_model"),
                "may hold only letters, digits and _ (the model addresses the plugin by it)",
                "rename it, e.g. "
                + repr(re.sub(r"[^A-Za-z0-9_]+", "_", model_name).strip("_") or "todo"),
            )
        )
    return found


def _lengths(manifest: dict[str, Any]) -> list[Finding]:
    found = []
    for name, (limit, soft, why) in LENGTHS.items():
        value = manifest.get(name)
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            found.append(
                error(
                    _path(name),
                    f"is {len(value)} characters; ChatGPT accepts at most {limit}",
                    f"shorten it to {limit} characters or fewer",
                )
            )
        elif soft is not None and len(value) > soft:
            found.append(
                warning(
                    _path(name),
                    f"is {len(value)} characters; {why}",
                    f"shorten it to {soft} characters or fewer",
                )
            )
    return found


def _auth(auth: Any) -> list[Finding]:
    if not isinstance(auth, dict):
        return []
    kind = auth.get("type")
    if kind not in AUTH_FIELDS:
        return [
            error(
                _path("auth.type"),
                f"{kind!r} is not an auth type ChatGPT knows",
                "use one of none, user_http, service_http, oauth",
            )
        ]
    found = []
    for name in AUTH_FIELDS[kind]:
        if name not in auth:
            fix = (
                "when you give ChatGPT your credentials it gives back a verification token: "
                'put it here as {"openai": "<token>"} (PLUGIN_VERIFICATION_TOKEN)'
                if name == "verification_tokens"
                else f"add auth.{name}"
            )
            severity = warning if name == "verification_tokens" else error
            found.append(severity(_path(f"auth.{name}"), f"is missing for {kind} auth", fix))
    if "authorization_type" in AUTH_FIELDS[kind] and "authorization_type" in auth:
        if auth["authorization_type"] not in AUTHORIZATION_TYPES:
            found.append(
                error(
                    _path("auth.authorization_type"),
                    f"{auth['authorization_type']!r} is not bearer or basic",
                    'set "authorization_type": "bearer"',
                )
            )
    tokens = auth.get("verification_tokens")
    if tokens is not None and not (
        isinstance(tokens, dict) and isinstance(tokens.get("openai"), str)
    ):
        found.append(
            error(
                _path("auth.verification_tokens"),
                'must be an object like {"openai": "<token>"}',
                "put the token ChatGPT gave you under the key openai",
            )
        )
    if kind == "oauth":
        content_type = auth.get("authorization_content_type")
        if content_type is not None and content_type not in OAUTH_CONTENT_TYPES:
            found.append(
                error(
                    _path("auth.authorization_content_type"),
                    f"{content_type!r} is not one ChatGPT sends",
                    "use application/json or application/x-www-form-urlencoded",
                )
            )
        for name in ("client_url", "authorization_url"):
            if name in auth and not str(auth[name]).startswith(("https://", "http://")):
                found.append(
                    error(
                        _path(f"auth.{name}"),
                        "must be an absolute URL",
                        f"write auth.{name} in full",
                    )
                )
    return found


def _api(api: Any) -> list[Finding]:
    if not isinstance(api, dict):
        return []
    found = []
    if api.get("type") != "openapi":
        found.append(error(_path("api.type"), 'must be "openapi"', 'set "type": "openapi"'))
    if not isinstance(api.get("url"), str):
        found.append(error(_path("api.url"), "is missing", "point api.url at your OpenAPI spec"))
    if "is_user_authenticated" in api and not isinstance(api["is_user_authenticated"], bool):
        found.append(
            error(_path("api.is_user_authenticated"), "must be true or false", "use a JSON boolean")
        )
    return found


def _urls(manifest: dict[str, Any], root: str) -> list[Finding]:
    """Root-domain and HTTPS rules; ``root`` is the host that serves (or will serve) it."""
    found = []
    api = manifest.get("api")
    urls = {
        "api.url": api.get("url") if isinstance(api, dict) else None,
        "logo_url": manifest.get("logo_url"),
        "legal_info_url": manifest.get("legal_info_url"),
    }
    for name, url in urls.items():
        if not isinstance(url, str):
            continue
        host = host_of(url)
        if not host:
            found.append(
                error(
                    _path(name),
                    f"{url!r} is not an absolute URL",
                    "write the URL in full, e.g. PLUGIN_HOSTNAME/...",
                )
            )
            continue
        if url.startswith("http://") and not is_local(host):
            found.append(
                error(
                    _path(name),
                    f"uses plain HTTP on {host}; ChatGPT accepts HTTP only for localhost",
                    "serve it over HTTPS (TLS 1.2 or later)",
                )
            )
        if name == "api.url" and not on_root_domain(host, root):
            found.append(
                error(
                    _path(name),
                    f"is on {host}, not on the root domain {root} or a subdomain of it",
                    f"serve the spec from {root}",
                )
            )
        if name == "legal_info_url" and not is_local(root) and not same_second_level(host, root):
            found.append(
                error(
                    _path(name),
                    f"is on {host}; its second-level domain must match the root domain {root}",
                    f"host the legal page on {root}",
                )
            )
    email = manifest.get("contact_email")
    # A loopback plugin has no domain an address could share, so the rule applies once the
    # manifest is served from a real host (check https://host, or set PLUGIN_PUBLIC_URL).
    if isinstance(email, str) and not is_local(root):
        domain = email.rpartition("@")[2].lower()
        if "@" not in email or not domain:
            found.append(
                error(
                    _path("contact_email"),
                    f"{email!r} is not an email address",
                    "write an address like support@your-domain",
                )
            )
        elif not same_second_level(domain, root):
            found.append(
                warning(
                    _path("contact_email"),
                    f"is at {domain}; its second-level domain should match the root domain {root}",
                    f"use an address at {root}",
                )
            )
    return found


def check_manifest(manifest: Any, root: str) -> list[Finding]:
    """Every manifest rule; ``root`` is the root domain the manifest is (to be) served from."""
    if not isinstance(manifest, dict):
        return [error(WHERE, "must be a JSON object", "wrap the fields in { ... }")]
    return [
        *_fields(manifest),
        *_lengths(manifest),
        *_auth(manifest.get("auth")),
        *_api(manifest.get("api")),
        *_urls(manifest, root),
    ]
