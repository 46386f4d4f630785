"""The install flow against the real server: manifest -> api.url -> logo, as ChatGPT does it."""

from __future__ import annotations

import http.client

import httpx
import pytest
import yaml

from plugin.config import PROJECT_ROOT
from tests.servers import LiveServer

from .conftest import PUBLIC_URL, VERIFICATION_TOKEN

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_install_flow_over_http(open_server_on: LiveServer, host: str) -> None:
    base = f"http://{host}:{open_server_on.port}"
    with httpx.Client(base_url=base) as http:
        manifest_response = http.get("/.well-known/ai-plugin.json")
        assert manifest_response.headers["content-type"] == "application/json"
        assert "date" in manifest_response.headers  # RFC 9110: an origin server with a clock
        assert "server" not in manifest_response.headers  # names no software to a scanner
        manifest = manifest_response.json()
        assert manifest["auth"] == {"type": "none"}
        assert manifest["api"]["url"] == f"{base}/openapi.yaml"
        spec_response = http.get(manifest["api"]["url"])
        assert spec_response.headers["content-type"].startswith("application/yaml")
        spec = yaml.safe_load(spec_response.text)
        assert spec["servers"][0]["url"] == base
        assert spec == http.get("/openapi.json").json()
        logo = http.get(manifest["logo_url"])
        assert logo.headers["content-type"] == "image/png"
        assert logo.content == (PROJECT_ROOT / "static" / "logo.png").read_bytes()
        legal = http.get(manifest["legal_info_url"])
        assert legal.status_code == 200 and legal.headers["content-type"].startswith("text/html")
        # The first call a model makes after installing:
        todos = http.get(f"{spec['servers'][0]['url']}/todos/installer")
        assert todos.json()["todos"] == []


def test_head_over_http(open_server_on: LiveServer) -> None:
    with httpx.Client(base_url=open_server_on.url) as http:
        for path in ("/.well-known/ai-plugin.json", "/openapi.yaml", "/logo.png"):
            body = http.get(path).content
            head = http.head(path)
            assert head.status_code == 200
            assert head.headers["content-length"] == str(len(body))
            assert head.content == b""


def test_install_flow_behind_public_url(secured_server: LiveServer) -> None:
    with httpx.Client(base_url=secured_server.url) as http:
        manifest = http.get("/.well-known/ai-plugin.json").json()
        assert manifest["api"]["url"] == f"{PUBLIC_URL}/openapi.yaml"
        assert manifest["auth"] == {
            "type": "service_http",
            "authorization_type": "bearer",
            "verification_tokens": {"openai": VERIFICATION_TOKEN},
        }
        spec = http.get("/openapi.json").json()
        assert spec["servers"] == [{"url": PUBLIC_URL}]
        assert spec["components"]["securitySchemes"]["pluginAuth"] == {
            "type": "http",
            "scheme": "bearer",
        }


def raw_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """A request sent exactly as written: no client normalises the path or the Host."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


INJECTIONS = [
    {},
    {"Host": "evil.example"},
    {"Host": "localhost:1"},
    {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    {"Host": "plugin.example.com", "Forwarded": "host=evil.example;proto=http"},
    {"Host": "evil.example\tx", "X-Forwarded-Prefix": "/evil"},
]


@pytest.mark.parametrize("path", ["/.well-known/ai-plugin.json", "/openapi.yaml", "/openapi.json"])
def test_host_header_injection_not_reflected(secured_server: LiveServer, path: str) -> None:
    bodies = set()
    for headers in INJECTIONS:
        status, body = raw_get(secured_server.port, path, headers)
        assert status == 200, (headers, body)
        bodies.add(body)
    assert len(bodies) == 1
    body = bodies.pop()
    assert b"evil" not in body and b"localhost" not in body and PUBLIC_URL.encode() in body


def test_unknown_host_refused_without_public_url(open_server: LiveServer) -> None:
    status, body = raw_get(
        open_server.port, "/.well-known/ai-plugin.json", {"Host": "evil.example"}
    )
    assert status == 400
    assert b"PLUGIN_PUBLIC_URL" in body and b"evil" not in body
