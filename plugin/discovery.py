"""How MCP clients and registries find this server without connecting: documents generated from
``manifest.json``, the spec's version and the public URL, so they never disagree with the plugin.

- ``server.json`` for the MCP Registry (``mcp-publisher publish`` takes it as it is served),
  schema ``2025-12-11``, the registry's current one.
- A Server Card (SEP-2127, which replaced SEP-1649; the ``v1`` schema of
  ``modelcontextprotocol/experimental-ext-server-card``): at ``/mcp/server-card``, the location
  the draft reserves, and at ``/.well-known/mcp/server-card.json``, where SEP-1649's crawlers
  still look.
- The AI Catalog at ``/.well-known/ai-catalog.json``, the draft's domain-level entry point,
  naming the card.

What a client needs to connect is said the way the registry says it: the one Streamable HTTP
remote, and in ``service_http`` and ``user_http`` the ``Authorization`` header with its secret
(optional in ``user_http`` when the OAuth server runs, since a client may sign in instead). The
card, like ``server/discover``, takes its version from the spec's ``info.version``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .config import Settings
from .mcp import MCP_PATH
from .mcp.protocol import SUPPORTED_VERSIONS
from .plugin_files import Generated, PluginFiles

__all__ = [
    "CATALOG_PATH",
    "DOCUMENTS",
    "MAX_DESCRIPTION",
    "SERVER_CARD_PATH",
    "SERVER_CARD_SCHEMA",
    "SERVER_JSON_PATH",
    "SERVER_JSON_SCHEMA",
    "WELL_KNOWN_CARD_PATH",
    "ai_catalog",
    "description",
    "render",
    "served",
    "server_card",
    "server_json",
]

SERVER_JSON_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
SERVER_CARD_SCHEMA = "https://static.modelcontextprotocol.io/schemas/v1/server-card.schema.json"
SERVER_CARD_TYPE = b"application/mcp-server-card+json"
CATALOG_TYPE = b"application/ai-catalog+json"

SERVER_JSON_PATH = "/.well-known/mcp/server.json"
SERVER_CARD_PATH = MCP_PATH + "/server-card"
WELL_KNOWN_CARD_PATH = "/.well-known/mcp/server-card.json"
CATALOG_PATH = "/.well-known/ai-catalog.json"

# path -> (document, media type)
DOCUMENTS: dict[str, tuple[str, bytes]] = {
    SERVER_JSON_PATH: ("server.json", b"application/json"),
    SERVER_CARD_PATH: ("server-card", SERVER_CARD_TYPE),
    WELL_KNOWN_CARD_PATH: ("server-card", b"application/json"),
    CATALOG_PATH: ("ai-catalog", CATALOG_TYPE),
}

MAX_DESCRIPTION = 100  # characters, in server.json and the card
NOT_IN_NAME = re.compile(r"[^A-Za-z0-9.-]+")
NOT_IN_SERVER = re.compile(r"[^A-Za-z0-9._-]+")


def server_name(manifest: dict[str, Any], base_url: str) -> str:
    """``com.example.todo/todo``: the host reversed (the namespace the registry verifies by
    DNS or HTTP), a slash, and ``name_for_model``."""
    host = urlsplit(base_url).hostname or "localhost"
    namespace = NOT_IN_NAME.sub("-", ".".join(reversed(host.split("."))))
    name = NOT_IN_SERVER.sub("-", str(manifest.get("name_for_model") or "plugin"))
    return f"{namespace}/{name}"


def _remote(settings: Settings, base_url: str) -> dict[str, Any]:
    remote: dict[str, Any] = {"type": "streamable-http", "url": base_url + MCP_PATH}
    if settings.auth not in ("service_http", "user_http") or settings.upstream:
        return remote
    if settings.auth == "service_http":
        secret, required = "The service token", True
        description = "The service token (PLUGIN_SERVICE_TOKEN)."
    else:
        secret, required = "Your API key", not settings.authorization_server
        description = "Your API key (`python main.py keys create NAME`)."
        if not required:
            description += " Or leave it out and sign in with OAuth."
    remote["headers"] = [
        {
            "name": "Authorization",
            "description": description,
            "isRequired": required,
            "isSecret": True,
            "value": f"{settings.authorization_type.capitalize()} {{key}}",
            "variables": {"key": {"description": secret, "isRequired": True, "isSecret": True}},
        }
    ]
    return remote


def description(manifest: dict[str, Any]) -> Any:
    """``description_for_human`` may be 120 characters, the registry's description 100: a
    longer one is cut at a word and marked, so the documents stay valid (``check`` says so)."""
    text = manifest.get("description_for_human")
    if not isinstance(text, str) or len(text) <= MAX_DESCRIPTION:
        return text
    cut = text[: MAX_DESCRIPTION - 1]
    if text[len(cut)] != " " and " " in cut:  # the cut is inside a word: drop that word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def _identity(manifest: dict[str, Any], spec: dict[str, Any], base_url: str) -> dict[str, Any]:
    """What ``server.json`` and the card say alike, in the registry's order."""
    info = spec.get("info")
    document: dict[str, Any] = {
        "name": server_name(manifest, base_url),
        "title": manifest.get("name_for_human"),
        "description": description(manifest),
        "version": str(info.get("version", "1.0.0")) if isinstance(info, dict) else "1.0.0",
    }
    logo = manifest.get("logo_url")
    if isinstance(logo, str) and logo:
        document["icons"] = [{"src": logo, "mimeType": "image/png"}]
    return {key: value for key, value in document.items() if value is not None}


def server_json(
    manifest: dict[str, Any], spec: dict[str, Any], settings: Settings, base_url: str
) -> dict[str, Any]:
    """The MCP Registry's ``server.json`` for this server."""
    return {
        "$schema": SERVER_JSON_SCHEMA,
        **_identity(manifest, spec, base_url),
        "remotes": [_remote(settings, base_url)],
    }


def server_card(
    manifest: dict[str, Any], spec: dict[str, Any], settings: Settings, base_url: str
) -> dict[str, Any]:
    """The Server Card: ``server.json``'s identity, and the protocol versions ``/mcp`` serves."""
    remote = {**_remote(settings, base_url), "supportedProtocolVersions": list(SUPPORTED_VERSIONS)}
    return {
        "$schema": SERVER_CARD_SCHEMA,
        **_identity(manifest, spec, base_url),
        "remotes": [remote],
    }


def ai_catalog(manifest: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The AI Catalog with one entry, this server's card (``urn:air:{publisher}:mcp:{name}``)."""
    host = urlsplit(base_url).hostname or "localhost"
    name = server_name(manifest, base_url).partition("/")[2]
    return {
        "specVersion": "1.0",
        "entries": [
            {
                "identifier": f"urn:air:{NOT_IN_NAME.sub('-', host)}:mcp:{name}",
                "type": SERVER_CARD_TYPE.decode(),
                "url": base_url + SERVER_CARD_PATH,
            }
        ],
    }


def render(
    name: str, manifest: dict[str, Any], spec: dict[str, Any], settings: Settings, base_url: str
) -> bytes:
    """The bytes of document ``name`` (see :data:`DOCUMENTS`)."""
    if name == "server.json":
        document = server_json(manifest, spec, settings, base_url)
    elif name == "server-card":
        document = server_card(manifest, spec, settings, base_url)
    else:
        document = ai_catalog(manifest, base_url)
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def served(files: PluginFiles) -> dict[str, Generated]:
    """The documents as :class:`PluginFilesMiddleware` serves them: made from the manifest as
    served and the spec, and made again on the first request after either file changes."""

    def maker(name: str) -> Callable[[str], bytes]:
        def make(base_url: str) -> bytes:
            manifest, spec = files.render("manifest", base_url), files.spec.current()
            versions = (files.manifest.version, files.spec.version)
            return files.cached(
                name,
                base_url,
                versions,
                lambda: render(name, json.loads(manifest), spec, files.settings, base_url),
            )

        return make

    return {path: (maker(name), media_type) for path, (name, media_type) in DOCUMENTS.items()}
