"""Live editing against the real server: edit the files under PLUGIN_ROOT while it runs."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import SERVICE_TOKEN
from tests.servers import LiveServer

pytestmark = pytest.mark.slow

MODES = {
    "none": {},
    "service_http": {"PLUGIN_AUTH": "service_http", "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN},
    "user_http": {"PLUGIN_AUTH": "user_http"},
    "oauth": {"PLUGIN_AUTH": "oauth"},
}


def _write(path: Path, text: str) -> None:
    """Write and move the modification time on, as an editor saving a second later would."""
    path.write_text(text)
    later = time.time() + 1 + path.stat().st_mtime % 1
    os.utime(path, (later, later))


def _start(live_server: Callable[..., LiveServer], root: Path, mode: str) -> LiveServer:
    return live_server(env={"PLUGIN_ROOT": str(root), **MODES[mode]})


@pytest.mark.parametrize("mode", list(MODES))
def test_spec_edit_break_and_fix(
    live_server: Callable[..., LiveServer], plugin_root: Path, mode: str
) -> None:
    server = _start(live_server, plugin_root, mode)
    spec_path = plugin_root / "openapi.yaml"
    original = spec_path.read_text()
    url = f"{server.url}/openapi.yaml"
    assert "Add a todo to the list." in httpx.get(url).text

    _write(spec_path, original.replace("Add a todo to the list.", "Add one todo, edited live."))
    edited = httpx.get(url)
    assert edited.status_code == 200 and "Add one todo, edited live." in edited.text

    _write(spec_path, original.replace("  version: 1.0.0", "  version: [1.0.0"))
    broken = httpx.get(url)
    assert broken.status_code == 200 and broken.content == edited.content
    log = server.log_once("openapi.yaml:6: invalid YAML")
    line = next(line for line in log.splitlines() if "invalid YAML" in line)
    assert str(spec_path) in line and "serving the last good version" in line
    overview = httpx.get(f"{server.url}/console/api/overview").json()
    assert overview["problems"] == [
        "openapi.yaml:6: invalid YAML: expected ',' or ']', but got ':'"
    ]
    assert any(f["path"] == "openapi: line 6" for f in overview["lint"]["findings"])

    _write(spec_path, original.replace("Add a todo to the list.", "Fixed and back."))
    fixed = httpx.get(url)
    assert "Fixed and back." in fixed.text
    assert httpx.get(f"{server.url}/console/api/overview").json()["problems"] == []


def test_invalid_openapi_keeps_the_last_good_spec_and_names_the_line(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    server = _start(live_server, plugin_root, "none")
    spec_path = plugin_root / "openapi.yaml"
    good = httpx.get(f"{server.url}/openapi.json").content
    _write(spec_path, spec_path.read_text().replace("required: true", "required: yes please", 1))
    assert httpx.get(f"{server.url}/openapi.json").content == good
    expected = "openapi.yaml:14: invalid OpenAPI at paths//todos/{username}/get/parameters/0"
    server.log_once(expected)


@pytest.mark.parametrize("mode", list(MODES))
def test_manifest_edits_and_breaks(
    live_server: Callable[..., LiveServer], plugin_root: Path, mode: str
) -> None:
    server = _start(live_server, plugin_root, mode)
    path = plugin_root / "manifest.json"
    manifest = json.loads(path.read_text())
    url = f"{server.url}/.well-known/ai-plugin.json"
    manifest["description_for_human"] = "Edited while the server runs."
    _write(path, json.dumps(manifest))
    served = httpx.get(url).json()
    assert served["description_for_human"] == "Edited while the server runs."
    assert served["auth"]["type"] == mode  # the auth block still follows PLUGIN_AUTH
    _write(path, json.dumps(manifest)[:-1])
    assert httpx.get(url).json() == served
    server.log_once("manifest.json:1: invalid JSON")


def test_static_and_well_known_files_are_live(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    server = _start(live_server, plugin_root, "none")
    _write(plugin_root / "static" / "legal.html", "<p>Terms, version 2</p>")
    assert httpx.get(f"{server.url}/legal").text == "<p>Terms, version 2</p>"
    assert httpx.get(f"{server.url}/.well-known/security.txt").status_code == 404
    _write(plugin_root / ".well-known" / "security.txt", "Contact: mailto:a@example.com\n")
    added = httpx.get(f"{server.url}/.well-known/security.txt")
    assert added.status_code == 200 and added.text.startswith("Contact:")
    _write(plugin_root / ".well-known" / "security.txt", "Contact: mailto:b@example.com\n")
    assert "b@example.com" in httpx.get(f"{server.url}/.well-known/security.txt").text


def test_every_save_shows_on_the_very_next_fetch(
    live_server: Callable[..., LiveServer], plugin_root: Path
) -> None:
    """The served process checks files only on change notices: no fetch may see an old save,
    whether the editor writes in place or saves a new file over the old one (rename)."""
    server = _start(live_server, plugin_root, "none")
    path = plugin_root / "manifest.json"
    manifest = json.loads(path.read_text())
    url = f"{server.url}/.well-known/ai-plugin.json"
    with httpx.Client() as http:
        for number in range(40):
            manifest["description_for_human"] = f"Save number {number}."
            if number % 2:
                _write(path, json.dumps(manifest))
            else:
                saved = path.with_name("manifest.json.swp")
                saved.write_text(json.dumps(manifest))
                os.replace(saved, path)
            assert http.get(url).json()["description_for_human"] == f"Save number {number}."
