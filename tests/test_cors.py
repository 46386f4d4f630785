"""CORS for ChatGPT: exact origins, Vary: Origin, no credentials, the private-network preflight."""

from __future__ import annotations

from typing import Any

import pytest
from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from .conftest import SERVICE_TOKEN, MakeClient

JSON: dict[str, Any] = {"headers": {"Content-Type": "application/json"}}

CHATGPT_ORIGINS = ["https://chatgpt.com", "https://chat.openai.com"]
UNLISTED = [
    "https://chatgpt.com.evil.tld",
    "http://chatgpt.com",
    "https://evil.chatgpt.com",
    "https://chatgpt.com:443",
    "https://ChatGPT.com",
    "null",
    "",
]


def preflight_headers(origin: str, private_network: bool = True) -> dict[str, str]:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    if private_network:
        headers["Access-Control-Request-Private-Network"] = "true"
    return headers


def vary_origin(headers: Headers) -> bool:
    values = headers.get_all("Vary")
    return any("origin" in part.strip().lower() for value in values for part in value.split(","))


@pytest.mark.parametrize("origin", CHATGPT_ORIGINS)
@pytest.mark.parametrize("path", ["/todos/ann", "/todos/ann/1", "/.well-known/ai-plugin.json"])
async def test_preflight_from_chatgpt(client: QuartClient, origin: str, path: str) -> None:
    response = await client.options(path, headers=preflight_headers(origin))
    assert response.status_code == 204
    assert response.headers.get_all("Access-Control-Allow-Origin") == [origin]
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert vary_origin(response.headers)


async def test_private_network_only_when_asked(client: QuartClient) -> None:
    response = await client.options(
        "/todos/ann", headers=preflight_headers("https://chatgpt.com", private_network=False)
    )
    assert response.status_code == 204
    assert "Access-Control-Allow-Private-Network" not in response.headers


async def test_preflight_needs_no_credentials(make_client: MakeClient) -> None:
    client = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    response = await client.options("/todos/ann", headers=preflight_headers("https://chatgpt.com"))
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://chatgpt.com"


@pytest.mark.parametrize("origin", UNLISTED)
async def test_unlisted_origin_gets_no_allow_origin(client: QuartClient, origin: str) -> None:
    preflight = await client.options("/todos/ann", headers=preflight_headers(origin))
    assert preflight.status_code >= 400
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Private-Network" not in preflight.headers
    assert set(await preflight.get_json()) == {"error", "error_description"}
    simple = await client.get("/todos/ann", headers={"Origin": origin})
    assert simple.status_code == 200
    assert "Access-Control-Allow-Origin" not in simple.headers
    assert vary_origin(simple.headers)


async def test_configured_origins_replace_the_defaults(make_client: MakeClient) -> None:
    client = await make_client(cors_origins=("https://tools.example", "http://localhost:3000"))
    for origin in ("https://tools.example", "http://localhost:3000"):
        response = await client.options("/todos/ann", headers=preflight_headers(origin))
        assert response.headers["Access-Control-Allow-Origin"] == origin
    response = await client.options("/todos/ann", headers=preflight_headers("https://chatgpt.com"))
    assert "Access-Control-Allow-Origin" not in response.headers


async def assert_cors(
    client: QuartClient,
    method: str,
    path: str,
    status: int,
    headers: dict[str, str] | None = None,
    **request: Any,
) -> None:
    origin = "https://chatgpt.com"
    headers = {"Origin": origin, "Host": "localhost:5003", **(headers or {})}
    response = await client.open(path, method=method, headers=headers, **request)
    assert response.status_code == status, (method, path, await response.get_data())
    assert response.headers.get_all("Access-Control-Allow-Origin") == [origin], (method, path)
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert vary_origin(response.headers)


async def test_cors_on_plugin_files_api_answers_and_errors(make_client: MakeClient) -> None:
    client = await make_client()
    for path in ("/.well-known/ai-plugin.json", "/openapi.yaml", "/openapi.json", "/logo.png"):
        await assert_cors(client, "GET", path, 200)
    await assert_cors(client, "POST", "/todos/ann", 200, json={"todo": "milk"})
    await assert_cors(client, "GET", "/todos/ann", 200)
    await assert_cors(client, "DELETE", "/todos/ann", 200, json={"todo_idx": 0})
    await assert_cors(client, "GET", "/nowhere", 404)
    await assert_cors(client, "PUT", "/todos/ann", 405)
    await assert_cors(client, "POST", "/openapi.yaml", 405)
    await assert_cors(client, "POST", "/todos/ann", 400, data=b"{", **JSON)
    await assert_cors(client, "POST", "/todos/ann", 422, json={"todo": ""})
    await assert_cors(client, "POST", "/todos/ann", 413, data=b"x" * 70_000, **JSON)
    await assert_cors(client, "POST", "/todos/ann", 415, data=b'{"todo": "x"}')
    await assert_cors(client, "GET", "/openapi.yaml", 400, headers={"Host": "evil.example"})
    secured = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    await assert_cors(secured, "GET", "/todos/ann", 401)
