"""The install flow against the real server: manifest -> api.url -> logo."""

from __future__ import annotations

import httpx
import pytest
import yaml

from tests.servers import LiveServer

pytestmark = pytest.mark.slow


def test_install_flow_over_http(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url.replace("127.0.0.1", "localhost")) as http:
        manifest_response = http.get("/.well-known/ai-plugin.json")
        assert manifest_response.headers["content-type"] == "application/json"
        manifest = manifest_response.json()
        assert manifest["api"]["url"] == f"http://localhost:{server.port}/openapi.yaml"
        spec_response = http.get(manifest["api"]["url"])
        assert spec_response.headers["content-type"].startswith("application/yaml")
        spec = yaml.safe_load(spec_response.text)
        assert spec["servers"][0]["url"] == f"http://localhost:{server.port}"
        logo = http.get(manifest["logo_url"])
        assert logo.headers["content-type"] == "image/png"
        assert logo.content.startswith(b"\x89PNG\r\n\x1a\n")
