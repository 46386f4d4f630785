"""Editing a plugin while its real server runs: routing and validation follow ``openapi.yaml``
on the next request, and ``handlers.py`` too with ``PLUGIN_RELOAD_HANDLERS``; a broken edit
keeps the last good version and says why in the log and the console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.operations_plugin import HANDLERS, SPEC, make_plugin
from tests.servers import LiveServer

from .conftest import shared_server

pytestmark = pytest.mark.slow

GET_LABEL = """\
    get:
      operationId: getLabel
      summary: Read a label.
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: "^[a-z]{1,8}$"}}
      responses:
        "200": {description: The label., content: {application/json: {schema: {type: object}}}}
"""
GET_HANDLER = '\n\nasync def getLabel(name):\n    return {"name": name}\n'
LABEL = {"color": "red", "owner": {"name": "ann"}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plugin(tmp_path_factory.mktemp("live") / "plugin")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[LiveServer]:
    env = {"PLUGIN_ROOT": str(folder), "PLUGIN_RELOAD_HANDLERS": "on"}
    yield from shared_server(folder.parent, env)


def problems(server: LiveServer) -> list[str]:
    overview = httpx.get(f"{server.url}/console/api/overview").json()
    return list(overview["problems"])


def test_an_added_operation_answers_once_its_handler_exists(
    server: LiveServer, folder: Path
) -> None:
    spec, code = folder / "openapi.yaml", folder / "handlers.py"
    assert httpx.get(f"{server.url}/labels/mine").status_code == 405
    spec.write_text(SPEC.replace("    put:\n", GET_LABEL + "    put:\n", 1))
    assert httpx.get(f"{server.url}/labels/mine").status_code == 405  # the last good routes
    line = "openapi.yaml: GET /labels/{name} (getLabel) has no handler"
    assert line in server.log_once("(serving the last good version)")
    assert any(line in problem for problem in problems(server))
    code.write_text(HANDLERS + GET_HANDLER)
    answer = httpx.get(f"{server.url}/labels/mine")
    assert answer.status_code == 200 and answer.json() == {"name": "mine"}
    assert httpx.get(f"{server.url}/labels/NO").status_code == 422  # checked as the spec says
    assert problems(server) == []
    spec.write_text("openapi: [unclosed\n")  # a save in the middle of an edit
    assert httpx.get(f"{server.url}/labels/mine").status_code == 200
    spec.write_text(SPEC)
    code.write_text(HANDLERS)
    assert httpx.get(f"{server.url}/labels/mine").status_code == 405


def test_a_narrowed_pattern_starts_refusing(server: LiveServer, folder: Path) -> None:
    spec = folder / "openapi.yaml"
    assert httpx.put(f"{server.url}/labels/abcdef", json=LABEL).status_code == 201
    spec.write_text(SPEC.replace('pattern: "^[a-z]{1,8}$"', 'pattern: "^[a-z]{1,3}$"'))
    refused = httpx.put(f"{server.url}/labels/abcdef", json=LABEL)
    assert refused.status_code == 422
    assert "path parameter 'name' must match the pattern ^[a-z]{1,3}$" in refused.text
    assert httpx.put(f"{server.url}/labels/abc", json=LABEL).status_code == 201
    spec.write_text(SPEC)
    assert httpx.put(f"{server.url}/labels/abcdef", json=LABEL).status_code == 201
