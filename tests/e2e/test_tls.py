"""HTTPS served directly: TLS 1.2+ only, the plain port that only redirects, bad certificates."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from plugin.config import SERVERS
from tests.servers import REPO, LiveServer, free_port
from tests.tls import make_certificate

pytestmark = pytest.mark.slow


def _handshake(port: int, cafile: Path, version: ssl.TLSVersion) -> str:
    """Connect with exactly one TLS version; the negotiated version or the error."""
    context = ssl.create_default_context(cafile=str(cafile))
    # SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all (checked: it completes a TLS 1.1
    # handshake with `openssl s_server -tls1_1`), so a refusal below is the server's.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # the point is to try the deprecated versions
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = context.minimum_version = version
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return str(tls.version())
    except ssl.SSLError as error:
        return f"refused: {error.reason}"


@pytest.mark.parametrize("asgi_server", SERVERS)
def test_https_tls12_plus_and_the_redirect_port(
    tmp_path: Path, live_server: Callable[..., LiveServer], asgi_server: str
) -> None:
    certfile, keyfile = make_certificate(tmp_path)
    redirect_port = free_port()
    server = live_server(
        {
            "PLUGIN_SERVER": asgi_server,
            "PLUGIN_CERTFILE": str(certfile),
            "PLUGIN_KEYFILE": str(keyfile),
            "PLUGIN_REDIRECT_HTTP_PORT": str(redirect_port),
        }
    )
    base = f"https://localhost:{server.port}"
    with httpx.Client(base_url=base, verify=ssl.create_default_context(cafile=certfile)) as http:
        manifest = http.get("/.well-known/ai-plugin.json").json()
        assert manifest["api"]["url"] == f"{base}/openapi.yaml"
        assert http.post("/todos/ann", json={"todo": "over TLS"}).status_code == 200
    assert _handshake(server.port, certfile, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert _handshake(server.port, certfile, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert _handshake(server.port, certfile, ssl.TLSVersion.TLSv1_1).startswith("refused")
    assert _handshake(server.port, certfile, ssl.TLSVersion.TLSv1).startswith("refused")

    with httpx.Client(base_url=f"http://localhost:{redirect_port}") as plain:
        page = plain.get("/privacy?x=1")
        assert page.status_code == 308
        assert page.headers["location"] == f"{base}/privacy?x=1"
        # The server believes no forwarding header: the request came in over plain HTTP.
        forwarded = plain.get("/privacy", headers={"X-Forwarded-Proto": "https"})
        assert forwarded.status_code == 308
        # ChatGPT follows no redirect for these: a clear refusal instead.
        for response in (
            plain.get("/.well-known/ai-plugin.json"),
            plain.post("/todos/ann", json={"todo": "in the clear"}),
            plain.get("/todos/ann", headers={"Authorization": "Bearer secret-token"}),
        ):
            assert response.status_code == 403
            assert response.json()["error"] == "https_required"
            assert base in response.json()["error_description"]


@pytest.mark.parametrize("problem", ["missing", "unreadable"])
def test_bad_certificate_stops_start_up_with_one_line(tmp_path: Path, problem: str) -> None:
    certfile, keyfile = make_certificate(tmp_path)
    if problem == "missing":
        certfile = tmp_path / "nope.pem"
    else:
        certfile.write_text("not a certificate")
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--certfile", str(certfile)]
        + ["--keyfile", str(keyfile), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: PLUGIN_CERTFILE and PLUGIN_KEYFILE cannot be loaded")
