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
def behind_nginx(
    tmp_path: Path, live_server: Callable[..., LiveServer]
) -> Iterator[Callable[[dict[str, str]], Proxied]]:
    """Start the app with these settings behind nginx; nginx stops at the end of the test."""
    started: list[Nginx] = []

    def start(env: dict[str, str]) -> Proxied:
        certfile, keyfile = make_certificate(tmp_path)
        app = live_server(env)
        nginx = Nginx(tmp_path / f"nginx{len(started)}", app.port, certfile, keyfile).start()
        started.append(nginx)
        return Proxied(nginx, app, certfile)

    yield start
    for nginx in started:
        nginx.stop()


@pytest.fixture
def proxied(behind_nginx: Callable[[dict[str, str]], Proxied]) -> Proxied:
    return behind_nginx(
        {
            "PLUGIN_TRUSTED_PROXY_HOPS": "1",
            "PLUGIN_TRUSTED_PROXIES": PROXY_ADDRESS,
            "PLUGIN_ALLOWED_NETWORKS": f"{ALLOWED_CLIENT}/32",
            "PLUGIN_RATE_LIMIT": "1/second",
        }
    )


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


@pytest.mark.parametrize("loopback", [None, "on"])
def test_without_trusted_hops_the_allowlist_lets_no_one_in_through_nginx(
    behind_nginx: Callable[[dict[str, str]], Proxied], loopback: str | None
) -> None:
    """No PLUGIN_TRUSTED_PROXY_HOPS: every caller reaches the app from nginx's loopback address,
    with nginx's forwarded headers; nobody gets in that way, the listed client included, with
    the defaults and with the loopback exemption on."""
    env = {"PLUGIN_ALLOWED_NETWORKS": f"{ALLOWED_CLIENT}/32"}
    if loopback is not None:
        env["PLUGIN_ALLOWLIST_EXEMPT_LOOPBACK"] = loopback
    proxied = behind_nginx(env)
    for source in ("127.0.0.1", ALLOWED_CLIENT, "127.0.0.9"):
        with _client(proxied, source) as caller:
            for path in ("/todos/ann", "/console/api/calls"):
                refused = caller.get(path)
                assert refused.status_code == 403
                assert refused.json()["error"] == "forbidden_network"
            assert caller.get("/healthz").status_code == 200
    # Straight to the app, the listed client gets in; loopback only where the operator said so.
    direct = httpx.HTTPTransport(local_address=ALLOWED_CLIENT)
    with httpx.Client(base_url=proxied.app.url, transport=direct) as listed:
        assert listed.get("/todos/ann").status_code == 200
    on_this_host = httpx.get(f"{proxied.app.url}/todos/ann")
    assert on_this_host.status_code == (200 if loopback == "on" else 403)
    if loopback == "on":
        log = proxied.app.log_once("refused a loopback caller with forwarded headers")
        assert log.count("refused a loopback caller") == 1 and "PLUGIN_TRUSTED_PROXY_HOPS" in log
