"""Rules for the discovery documents (``plugin.discovery``): the MCP Registry's ``server.json``
(schema ``2025-12-11``) and the Server Card (``v1``) that ``/mcp`` clients and crawlers read.

The registry refuses a ``server.json`` that breaks its schema, so those rules are errors, each
pointing at the manifest field (or setting) the value comes from; what only keeps the server out
of the public registry (plain HTTP away from localhost) is a warning. The card must say what
``server.json`` says, since both describe one server.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..discovery import SERVER_CARD_SCHEMA, SERVER_JSON_SCHEMA, description
from ..public_url import LOOPBACK_HOSTS
from .findings import Finding, error, warning

__all__ = ["check_discovery", "check_matches_manifest"]

NAME = re.compile(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+")
REMOTE_URL = re.compile(r"https?://\S+")
VERSION_RANGE = re.compile(r"^[\^~<>=]|(^|\.)[x*](\.|$)|\s")
IDENTITY = ("name", "title", "description", "version")
# Where each field comes from, for the fix.
SOURCE = {
    "name": "name_for_model in manifest.json (and the host of PLUGIN_PUBLIC_URL)",
    "title": "name_for_human in manifest.json",
    "description": "description_for_human in manifest.json",
    "version": "info.version in openapi.yaml",
    "icons": "logo_url in manifest.json",
    "remotes": "PLUGIN_PUBLIC_URL",
}


def _text(where: str, value: Any, field: str, low: int, high: int) -> list[Finding]:
    if isinstance(value, str) and low <= len(value) <= high:
        return []
    size = f"{len(value)} characters" if isinstance(value, str) else "missing"
    return [
        error(
            f"{where}: {field}",
            f"is {size}; the MCP Registry takes {low} to {high}",
            f"set {SOURCE[field]} to {low} to {high} characters",
        )
    ]


def _public(where: str, url: str, field: str) -> list[Finding]:
    """Plain HTTP is for a developer's localhost only; the registry wants HTTPS."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.hostname or "").lower() in LOOPBACK_HOSTS:
        return []
    return [
        warning(
            f"{where}: {field}",
            f"{url} is plain HTTP; the MCP Registry lists HTTPS servers",
            f"serve over HTTPS and set {SOURCE[field]} to the https URL",
        )
    ]


def _server_json(where: str, document: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    if document.get("$schema") != SERVER_JSON_SCHEMA:
        found.append(
            error(f"{where}: $schema", "is not the registry's schema", f"use {SERVER_JSON_SCHEMA}")
        )
    name = document.get("name")
    found += _text(where, name, "name", 3, 200)
    if isinstance(name, str) and not NAME.fullmatch(name):
        found.append(
            error(
                f"{where}: name",
                f"{name!r} is not namespace/name in reverse-DNS form",
                f"use letters, digits, '.', '_' and '-' in {SOURCE['name']}",
            )
        )
    found += _text(where, document.get("description"), "description", 1, 100)
    if "title" in document:
        found += _text(where, document["title"], "title", 1, 100)
    version = document.get("version")
    found += _text(where, version, "version", 1, 255)
    if isinstance(version, str) and VERSION_RANGE.search(version):
        found.append(
            error(
                f"{where}: version",
                f"{version!r} is a range; the registry takes one exact version",
                f"give an exact version such as 1.0.0 in {SOURCE['version']}",
            )
        )
    for icon in document.get("icons") or []:
        source = icon.get("src") if isinstance(icon, dict) else None
        if isinstance(source, str) and len(source) <= 255:
            found += _public(where, source, "icons")
        else:
            found += _text(where, source, "icons", 1, 255)
    remotes = document.get("remotes")
    if not isinstance(remotes, list) or not remotes:
        return found + [error(f"{where}: remotes", "names no remote", "serve /mcp (PLUGIN_MCP=on)")]
    for remote in remotes:
        url = remote.get("url") if isinstance(remote, dict) else None
        if not isinstance(url, str) or not REMOTE_URL.fullmatch(url):
            found.append(
                error(
                    f"{where}: remotes", f"{url!r} is not an http(s) URL", "set PLUGIN_PUBLIC_URL"
                )
            )
        else:
            found += _public(where, url, "remotes")
    return found


def _remote_urls(document: dict[str, Any]) -> list[Any]:
    remotes = document.get("remotes")
    if not isinstance(remotes, list):
        return []
    return [remote.get("url") if isinstance(remote, dict) else remote for remote in remotes]


def _card(where: str, card: dict[str, Any], server: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    if card.get("$schema") != SERVER_CARD_SCHEMA:
        found.append(
            error(f"{where}: $schema", "is not the Server Card schema", f"use {SERVER_CARD_SCHEMA}")
        )
    for field in IDENTITY:
        if card.get(field) != server.get(field):
            found.append(
                error(
                    f"{where}: {field}",
                    f"{card.get(field)!r} differs from server.json's {server.get(field)!r}",
                    "serve both from the same manifest (they are generated by this server)",
                )
            )
    if _remote_urls(card) != _remote_urls(server):
        found.append(
            error(
                f"{where}: remotes",
                "name other URLs than server.json's",
                "serve both from the same manifest",
            )
        )
    return found


def check_discovery(
    server: Any, card: Any, where: tuple[str, str] = ("server.json", "server card")
) -> list[Finding]:
    """The problems of ``server.json`` and of the Server Card (``where`` names the two)."""
    if not isinstance(server, dict):
        return [error(where[0], "is not a JSON object", "serve the generated server.json")]
    if not isinstance(card, dict):
        return [error(where[1], "is not a JSON object", "serve the generated Server Card")]
    return _server_json(where[0], server) + _card(where[1], card, server)


def check_matches_manifest(
    where: str, server: Any, manifest: dict[str, Any], mcp_url: str
) -> list[Finding]:
    """A served ``server.json`` against the served manifest and the ``/mcp`` it was fetched
    beside: a stale copy, or one written by hand, says something else."""
    if not isinstance(server, dict):
        return []
    expected = {
        "title": manifest.get("name_for_human"),
        "description": description(manifest),
    }
    found = [
        error(
            f"{where}: {field}",
            f"{server.get(field)!r} does not match the manifest's {value!r}",
            "serve the server.json this server generates from manifest.json",
        )
        for field, value in expected.items()
        if server.get(field) != value
    ]
    if mcp_url not in _remote_urls(server):
        found.append(
            error(
                f"{where}: remotes",
                f"does not name {mcp_url}",
                "serve the server.json this server generates (set PLUGIN_PUBLIC_URL)",
            )
        )
    return found
