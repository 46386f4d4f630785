"""schemathesis against the live server's own spec: no 5xx, every answer as the spec says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import LiveServer

from .conftest import BEARER

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def schemathesis(server: LiveServer, tmp_path: Path, *options: str) -> None:
    st = Path(sys.executable).parent / "st"
    result = subprocess.run(
        [
            str(st),
            "run",
            f"{server.url}/openapi.json",
            "--url",  # the spec names the public URL; test this server
            server.url,
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--no-color",
            *options,
        ],
        cwd=tmp_path,  # its own files stay out of the repository
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, result.stdout[-3000:]
    assert selected[1] == selected[2] == tested[1]  # every operation of the spec was called
    assert "Traceback" not in server.log()


def test_schemathesis_auth_none(open_server: LiveServer, tmp_path: Path) -> None:
    schemathesis(open_server, tmp_path)


def test_schemathesis_service_http(secured_server: LiveServer, tmp_path: Path) -> None:
    ((name, value),) = BEARER.items()
    schemathesis(secured_server, tmp_path, "--header", f"{name}: {value}")
