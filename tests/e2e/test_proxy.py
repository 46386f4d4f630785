"""Proxy mode end to end: ``python main.py proxy UPSTREAM`` in front of real upstreams."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import SERVICE_TOKEN
from tests.raw_http import Answer, Request, raw_server
from tests.servers import LiveServer, free_port

pytestmark = pytest.mark.slow

CHATGPT = "https://chat.openai.com"


@pytest.fixture
def proxied(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> tuple[LiveServer, LiveServer]:
    upstream = live_server(env={"PLUGIN_DATABASE": str(tmp_path / "upstream.sqlite3")})
    proxy = live_server(
        env={"PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3")}, args=["proxy", upstream.url]
    )
    return upstream, proxy


def test_every_method_path_query_and_body_reach_the_upstream(
    proxied: tuple[LiveServer, LiveServer],
) -> None:
    upstream, proxy = proxied
    with httpx.Client(base_url=proxy.url) as http:
        added = http.post("/todos/ann", json={"todo": "through the proxy"})
        assert added.status_code == 200
        http.post("/todos/ann", json={"todo": "second"})
        page = http.get("/todos/ann", params={"limit": 1})
        assert page.json()["todos"] == ["through the proxy"] and page.json()["next_offset"] == 1
        assert http.head("/todos/ann").status_code == 200
        for method in ("PUT", "PATCH"):
            refused = http.request(method, "/todos/ann", json={"todo": "x"})
            assert refused.status_code == 405 and "POST" in refused.headers["allow"]
            assert refused.json()["error"] == "method_not_allowed"
        assert http.request("DELETE", "/todos/ann", json={"todo_idx": 1}).json()["todo"] == "second"
        assert http.delete(f"/todos/ann/{added.json()['id']}").status_code == 200
        missing = http.get("/nowhere")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    # The upstream really stored it: read it there directly.
    assert httpx.get(f"{upstream.url}/todos/ann").json()["todos"] == []
    log = proxy.log_once("PATCH /todos/ann -> 405 in ")
    assert "POST /todos/ann -> 200 in " in log


def test_plugin_files_are_local_with_the_local_address_and_live(
    live_server: Callable[..., LiveServer], plugin_root: Path, tmp_path: Path
) -> None:
    upstream = live_server(env={"PLUGIN_DATABASE": str(tmp_path / "upstream.sqlite3")})
    proxy = live_server(
        env={"PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3"), "PLUGIN_ROOT": str(plugin_root)},
        args=["proxy", upstream.url],
    )
    local = f"http://localhost:{proxy.port}"
    manifest = httpx.get(f"{local}/.well-known/ai-plugin.json").json()
    assert manifest["api"]["url"] == f"{local}/openapi.yaml"
    assert f"url: {local}" in httpx.get(f"{local}/openapi.yaml").text
    assert httpx.get(f"{local}/logo.png").content.startswith(b"\x89PNG")
    spec = plugin_root / "openapi.yaml"
    spec.write_text(spec.read_text().replace("Add a todo to the list.", "Edited behind a proxy."))
    later = time.time() + 2
    os.utime(spec, (later, later))
    assert "Edited behind a proxy." in httpx.get(f"{local}/openapi.yaml").text


def test_cors_and_private_network_preflight_are_added(
    proxied: tuple[LiveServer, LiveServer],
) -> None:
    _, proxy = proxied
    preflight = httpx.options(
        f"{proxy.url}/todos/ann",
        headers={
            "Origin": CHATGPT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-private-network"] == "true"
    answer = httpx.get(f"{proxy.url}/todos/ann", headers={"Origin": CHATGPT})
    # Exactly one Allow-Origin, although the upstream (this server too) adds its own.
    assert answer.headers.get_list("access-control-allow-origin") == [CHATGPT]


def test_authorization_passes_through_to_a_service_http_upstream(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    upstream = live_server(
        env={
            "PLUGIN_DATABASE": str(tmp_path / "upstream.sqlite3"),
            "PLUGIN_AUTH": "service_http",
            "PLUGIN_SERVICE_TOKEN": SERVICE_TOKEN,
        }
    )
    # The proxy needs no secret of its own: the upstream checks it.
    proxy = live_server(
        env={"PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3"), "PLUGIN_AUTH": "service_http"},
        args=["proxy", upstream.url],
    )
    refused = httpx.get(f"{proxy.url}/todos/ann")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    allowed = httpx.get(
        f"{proxy.url}/todos/ann", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert allowed.status_code == 200
    manifest = httpx.get(f"{proxy.url}/.well-known/ai-plugin.json").json()
    assert manifest["auth"]["type"] == "service_http"
    proxy_log = proxy.log_once("GET /.well-known/ai-plugin.json 200 ")
    assert SERVICE_TOKEN not in proxy_log and SERVICE_TOKEN not in upstream.log_once("/todos/ann")


def test_large_bodies_stream_both_ways_and_hop_by_hop_headers_are_dropped(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    seen: list[Request] = []

    def echo(request: Request) -> Answer:
        seen.append(request)
        return Answer(
            200,
            request.body,
            {
                "Content-Type": "application/octet-stream",
                "X-Body-Sha256": hashlib.sha256(request.body).hexdigest(),
                "Connection": "keep-alive, X-Secret-Hop",
                "X-Secret-Hop": "must not pass",
            },
        )

    payload = os.urandom(6 * 1024 * 1024)
    with raw_server(echo) as upstream:
        proxy = live_server(
            env={"PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3")}, args=["proxy", upstream]
        )
        with httpx.Client(timeout=60) as http:
            with http.stream(
                "PUT",
                f"{proxy.url}/upload?name=big",
                content=payload,
                headers={
                    "Authorization": "Bearer passes-through",
                    "Proxy-Authorization": "Basic hop",
                    "X-Custom": "kept",
                },
            ) as response:
                received = b"".join(response.iter_raw())
                headers = response.headers
    assert response.status_code == 200
    assert received == payload
    assert headers["x-body-sha256"] == hashlib.sha256(payload).hexdigest()
    assert "x-secret-hop" not in headers
    request = seen[0]
    assert request.method == "PUT" and request.path == "/upload?name=big"
    assert request.headers["authorization"] == "Bearer passes-through"
    assert request.headers["x-custom"] == "kept"
    assert "proxy-authorization" not in request.headers
    assert request.headers["x-forwarded-for"] == "127.0.0.1"
    assert request.headers["host"] == upstream.removeprefix("http://")


def test_upstream_down_is_502_and_the_proxy_keeps_running(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    password = "unreachable-pass-4321"
    proxy = live_server(
        env={"PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3")},
        args=["proxy", f"http://dev:{password}@127.0.0.1:{free_port()}"],
    )
    for _ in range(3):
        answer = httpx.get(f"{proxy.url}/todos/ann")
        assert answer.status_code == 502
        assert answer.json()["error"] == "upstream_unreachable"
        assert "http://dev:***@127.0.0.1:" in answer.json()["error_description"]
        assert password not in answer.text
    assert httpx.get(f"{proxy.url}/.well-known/ai-plugin.json").status_code == 200
    assert httpx.get(f"{proxy.url}/healthz").status_code == 200  # the proxy itself is up
    assert password not in proxy.log_once("GET /todos/ann -> 502 in ")


def test_slow_upstream_is_504_and_garbage_is_502(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    def misbehave(request: Request) -> Answer:
        if request.path == "/slow":
            return Answer(200, b"{}", delay=3)
        if request.path == "/garbage":
            return Answer(raw=b"this is not HTTP at all\r\n\r\n")
        return Answer(200, json.dumps({"ok": True}).encode(), {"Content-Type": "application/json"})

    with raw_server(misbehave) as upstream:
        proxy = live_server(
            env={
                "PLUGIN_DATABASE": str(tmp_path / "proxy.sqlite3"),
                "PLUGIN_UPSTREAM_TIMEOUT": "0.5",
            },
            args=["proxy", upstream],
        )
        slow = httpx.get(f"{proxy.url}/slow", timeout=10)
        assert slow.status_code == 504 and slow.json()["error"] == "upstream_timeout"
        garbage = httpx.get(f"{proxy.url}/garbage")
        assert garbage.status_code == 502 and garbage.json()["error"] == "bad_upstream_response"
        assert httpx.get(f"{proxy.url}/fine").json() == {"ok": True}
    proxy.log_once("GET /slow -> 504 in ")
