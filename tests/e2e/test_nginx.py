"""Behind a real nginx terminating TLS: public https:// URLs, client addresses, no forgery."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import yaml

from tests.nginx import PROXY_ADDRESS, Nginx
from tests.servers import LiveServer
from tests.tls import make_certificate

pytestmark = pytest.mark.slow

ALLOWED_CLIENT = "127.0.0.3"  # the only network the app accepts, besides health checks


class Proxied(NamedTuple):
    nginx: Nginx
    app: LiveServer
    ca: Path

    @property
    def url(self) -> str:
        return self.nginx.url


@pytest.fixture
def proxied(tmp_path: Path, live_server: Callable[..., LiveServer]) -> Iterator[Proxied]:
    certfile, keyfile = make_certificate(tmp_path)
    app = live_server(
        {
            "PLUGIN_TRUSTED_PROXY_HOPS": "1",
            "PLUGIN_TRUSTED_PROXIES": PROXY_ADDRESS,
            "PLUGIN_ALLOWED_NETWORKS": f"{ALLOWED_CLIENT}/32",
            "PLUGIN_ALLOWLIST_EXEMPT_LOOPBACK": "off",
            "PLUGIN_RATE_LIMIT": "1/second",
        }
    )
    nginx = Nginx(tmp_path / "nginx", app.port, certfile, keyfile).start()
    yield Proxied(nginx, app, certfile)
    nginx.stop()


def _client(proxied: Proxied, source: str) -> httpx.Client:
    """A client connecting to nginx from ``source`` (any 127.x address is local)."""
    trust = ssl.create_default_context(cafile=proxied.ca)
    return httpx.Client(
        base_url=proxied.url,
        transport=httpx.HTTPTransport(local_address=source, verify=trust),
    )


def test_plugin_files_name_the_public_https_url(proxied: Proxied) -> None:
    with _client(proxied, "127.0.0.1") as http:
        manifest = http.get("/.well-known/ai-plugin.json").json()
        assert manifest["api"]["url"] == f"{proxied.url}/openapi.yaml"
        assert manifest["logo_url"].startswith(f"{proxied.url}/")
        spec = yaml.safe_load(http.get("/openapi.yaml").text)
        assert spec["servers"][0]["url"] == proxied.url
        # Forged headers sent through nginx are overwritten or come before its own entry.
        forged = http.get(
            "/.well-known/ai-plugin.json",
            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
        ).json()
        assert forged["api"]["url"] == f"{proxied.url}/openapi.yaml"


def test_forged_headers_straight_to_the_app_change_nothing(proxied: Proxied) -> None:
    app = proxied.app
    forged = {
        "Host": f"localhost:{app.port}",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": ALLOWED_CLIENT,
    }
    with httpx.Client(base_url=app.url) as direct:
        manifest = direct.get("/.well-known/ai-plugin.json", headers=forged).json()
        assert manifest["api"]["url"] == f"http://localhost:{app.port}/openapi.yaml"
        refused = direct.get("/todos/ann", headers=forged)
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden_network"


def test_allowlist_and_rate_limit_see_the_client_behind_the_proxy(proxied: Proxied) -> None:
    with _client(proxied, "127.0.0.1") as outsider:
        refused = outsider.get("/todos/ann", headers={"X-Forwarded-For": ALLOWED_CLIENT})
        assert refused.status_code == 403
        assert outsider.get("/healthz").status_code == 200
    with _client(proxied, ALLOWED_CLIENT) as allowed:
        statuses = [allowed.get("/todos/ann").status_code for _ in range(2)]
        assert statuses == [200, 429]
        limited = allowed.get("/todos/ann")
        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        wait = int(limited.headers["Retry-After"])
        assert wait >= 1
        time.sleep(wait + 0.2)
        assert allowed.get("/todos/ann").status_code == 200
