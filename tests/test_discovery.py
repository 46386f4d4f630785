"""The discovery documents (``plugin.discovery``): served from the manifest and the spec as they
are on disk now, and checked by ``check`` (``plugin.lint.discovery``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugin import Settings, create_app
from plugin.discovery import SERVER_CARD_SCHEMA, SERVER_JSON_SCHEMA
from plugin.lint import check_root
from plugin.lint.discovery import check_discovery, check_matches_manifest
from plugin.mcp.protocol import SUPPORTED_VERSIONS

BASE = "http://localhost"
DOCUMENTS = {
    "/.well-known/mcp/server.json": "application/json",
    "/mcp/server-card": "application/mcp-server-card+json",
    "/.well-known/mcp/server-card.json": "application/json",
    "/.well-known/ai-catalog.json": "application/ai-catalog+json",
}


async def served(make_settings: Callable[..., Settings], **settings: Any) -> dict[str, Any]:
    app = create_app(make_settings(**settings))
    found = {}
    async with app.test_app():
        client = app.test_client()
        for path, media_type in DOCUMENTS.items():
            answer = await client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["Content-Type"] == media_type
            found[path] = await answer.get_json()
    return found


async def test_documents_say_what_the_manifest_says(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    manifest = json.loads((plugin_root / "manifest.json").read_text())
    documents = await served(make_settings, root=plugin_root)
    server = documents["/.well-known/mcp/server.json"]
    assert server == {
        "$schema": SERVER_JSON_SCHEMA,
        "name": "localhost/todo",
        "title": manifest["name_for_human"],
        "description": manifest["description_for_human"],
        "version": "1.0.0",
        "icons": [{"src": f"{BASE}/logo.png", "mimeType": "image/png"}],
        "remotes": [{"type": "streamable-http", "url": f"{BASE}/mcp"}],
    }
    card = documents["/mcp/server-card"]
    assert documents["/.well-known/mcp/server-card.json"] == card
    assert card["$schema"] == SERVER_CARD_SCHEMA
    assert card["remotes"][0]["supportedProtocolVersions"] == list(SUPPORTED_VERSIONS)
    assert {key: card[key] for key in server if key not in ("$schema", "remotes")} == {
        key: server[key] for key in server if key not in ("$schema", "remotes")
    }
    (entry,) = documents["/.well-known/ai-catalog.json"]["entries"]
    assert entry == {
        "identifier": "urn:air:localhost:mcp:todo",
        "type": "application/mcp-server-card+json",
        "url": f"{BASE}/mcp/server-card",
    }
    assert check_discovery(server, card) == []
    assert check_matches_manifest("server.json", server, manifest, f"{BASE}/mcp") == []


@pytest.mark.parametrize(
    ("mode", "required"),
    [("service_http", True), ("user_http", False), ("oauth", None), ("none", None)],
)
async def test_the_key_header_follows_the_auth_mode(
    make_settings: Callable[..., Settings], mode: str, required: bool | None
) -> None:
    extra = {"service_token": "s" * 20} if mode == "service_http" else {}
    documents = await served(
        make_settings, auth=mode, public_url="https://todo.example.com", **extra
    )
    (remote,) = documents["/.well-known/mcp/server.json"]["remotes"]
    assert remote["url"] == "https://todo.example.com/mcp"
    assert documents["/.well-known/mcp/server.json"]["name"] == "com.example.todo/todo"
    if required is None:
        assert "headers" not in remote
    else:
        (header,) = remote["headers"]
        assert (header["name"], header["isRequired"], header["isSecret"]) == (
            "Authorization",
            required,
            True,
        )
        assert header["value"] == "Bearer {key}"


async def test_an_edited_manifest_shows_on_the_next_request(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    app = create_app(make_settings(root=plugin_root))
    async with app.test_app():
        client = app.test_client()
        before = await (await client.get("/mcp/server-card")).get_json()
        manifest = json.loads((plugin_root / "manifest.json").read_text())
        manifest["name_for_human"] = "Chores"
        (plugin_root / "manifest.json").write_text(json.dumps(manifest))
        (plugin_root / "openapi.yaml").write_text(
            (plugin_root / "openapi.yaml").read_text().replace("version: 1.0.0", "version: 2.1.0")
        )
        after = await (await client.get("/mcp/server-card")).get_json()
        server = await (await client.get("/.well-known/mcp/server.json")).get_json()
    assert before["title"] == "TODO List" and before["version"] == "1.0.0"
    assert (after["title"], after["version"]) == ("Chores", "2.1.0")
    assert (server["title"], server["version"]) == ("Chores", "2.1.0")


async def test_no_documents_without_mcp(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(mcp=False))
    async with app.test_app():
        client = app.test_client()
        for path in DOCUMENTS:
            assert (await client.get(path)).status_code == 404, path


def test_check_reports_what_the_registry_refuses(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    manifest = json.loads((plugin_root / "manifest.json").read_text())
    manifest["description_for_human"] = "d" * 101
    (plugin_root / "manifest.json").write_text(json.dumps(manifest))
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("version: 1.0.0", "version: ^1.0.0"))
    found = {(f.severity, f.path): f for f in check_root(make_settings(root=plugin_root)).findings}
    assert "description_for_human" in found["warning", "server.json: description"].fix
    assert "openapi.yaml" in found["error", "server.json: version"].fix
    assert not any(path.startswith("server card") for _, path in found)
    without_mcp = check_root(make_settings(mcp=False)).findings
    assert not any(finding.path.startswith("server") for finding in without_mcp)


async def test_a_long_description_is_cut_at_a_word(
    make_settings: Callable[..., Settings], plugin_root: Path
) -> None:
    manifest = json.loads((plugin_root / "manifest.json").read_text())
    manifest["description_for_human"] = "word " * 24  # 120 characters
    (plugin_root / "manifest.json").write_text(json.dumps(manifest))
    documents = await served(make_settings, root=plugin_root)
    server = documents["/.well-known/mcp/server.json"]
    assert server["description"] == "word " * 19 + "word…"
    assert len(server["description"]) <= 100
    assert check_discovery(server, documents["/mcp/server-card"]) == []
    assert check_matches_manifest("s", server, manifest, f"{BASE}/mcp") == []


def test_rules_on_documents_served_by_anyone() -> None:
    server = {
        "$schema": SERVER_JSON_SCHEMA,
        "name": "todo",
        "description": "A list.",
        "version": "1.x",
        "icons": [{"src": "http://todo.example.com/logo.png"}],
        "remotes": [{"type": "streamable-http", "url": "ftp://todo.example.com/mcp"}],
    }
    card = {**server, "$schema": SERVER_CARD_SCHEMA, "description": "Another list."}
    found = {(f.severity, f.path) for f in check_discovery(server, card)}
    assert found == {
        ("error", "server.json: name"),
        ("error", "server.json: version"),
        ("warning", "server.json: icons"),
        ("error", "server.json: remotes"),
        ("error", "server card: description"),
    }
    manifest = {"name_for_human": "Todo", "description_for_human": "A list."}
    stale = check_matches_manifest("s", server, manifest, "https://todo.example.com/mcp")
    assert {f.path for f in stale} == {"s: title", "s: remotes"}
    assert check_discovery([], card)[0].message == "is not a JSON object"
