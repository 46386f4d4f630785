"""What a hostile web page or client may not do with a request: write without a JSON media type,
reach the server under a foreign Host, send two credentials, or bend a redirect with the Host."""

from __future__ import annotations

import io
import logging

import pytest
from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from plugin.log_output import buffered_handler, printable

from .conftest import SERVICE_TOKEN, MakeClient

NOT_JSON = [
    None,
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/json",
    "application/jsonx",
    "application/json-seq",
]
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]


async def _todos(client: QuartClient, user: str = "ann") -> list[str]:
    todos: list[str] = (await (await client.get(f"/todos/{user}")).get_json())["todos"]
    return todos


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_a_body_not_declared_json_is_415_and_not_stored(
    client: QuartClient, content_type: str | None
) -> None:
    await client.post("/todos/ann", json={"todo": "kept"})
    headers = {"Content-Type": content_type} if content_type else {}
    bodies = {"POST": b'{"todo": "from any web page"}', "DELETE": b'{"todo_idx": 0}'}
    for method, body in bodies.items():
        response = await client.open("/todos/ann", method=method, data=body, headers=headers)
        assert response.status_code == 415, (method, content_type)
        error = await response.get_json()
        assert error["error"] == "unsupported_media_type"
        assert "application/json" in error["error_description"]
    assert await _todos(client) == ["kept"]


@pytest.mark.parametrize("content_type", JSON_TYPES)
async def test_json_media_types_are_accepted(client: QuartClient, content_type: str) -> None:
    response = await client.post(
        "/todos/ann", data=b'{"todo": "milk"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 200
    assert await _todos(client) == ["milk"]


FOREIGN_HOSTS = [
    "rebind.attacker.example",
    "rebind.attacker.example:5003",
    "localhost.attacker.example",
    "127.0.0.1.nip.io",
    "10.0.0.5:5003",
    "[::2]",
    "evil.example:80@localhost",
]
LOOPBACK = ["localhost", "localhost:5003", "127.0.0.1:5003", "[::1]:5003"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
async def test_a_foreign_host_reaches_no_route(client: QuartClient, host: str) -> None:
    """DNS rebinding: the page's own domain, now resolving to 127.0.0.1, is in the Host."""
    await client.post("/todos/ann", json={"todo": "private"})
    requests = [
        ("GET", "/todos/ann", None),
        ("POST", "/todos/ann", {"todo": "planted"}),
        ("DELETE", "/todos/ann", {"todo_idx": 0}),
        ("GET", "/", None),
        ("GET", "/console/api/overview", None),
        ("GET", "/console/api/calls", None),
        ("GET", "/openapi.yaml", None),
        ("GET", "/nowhere", None),
    ]
    for method, path, body in requests:
        response = await client.open(path, method=method, json=body, headers={"Host": host})
        assert response.status_code == 400, (method, path, host)
        assert (await response.get_json())["error"] == "unknown_host"
    for path in ("/healthz", "/readyz"):  # load balancers probe by address
        assert (await client.get(path, headers={"Host": host})).status_code == 200
    assert await _todos(client) == ["private"]


@pytest.mark.parametrize("host", LOOPBACK)
async def test_loopback_hosts_are_served(client: QuartClient, host: str) -> None:
    added = await client.post("/todos/ann", json={"todo": "x"}, headers={"Host": host})
    assert added.status_code == 200
    assert (await client.get("/", headers={"Host": host})).status_code == 200


async def test_a_public_url_serves_any_host(make_client: MakeClient) -> None:
    client = await make_client(public_url="https://plugin.example.com")
    response = await client.get("/todos/ann", headers={"Host": "plugin.example.com"})
    assert response.status_code == 200


def _credential_headers(*pairs: tuple[str, str]) -> Headers:
    headers = Headers()
    for name, value in pairs:
        headers.add(name, value)
    return headers


BEARER = ("Authorization", f"Bearer {SERVICE_TOKEN}")
TWO_CREDENTIALS = [
    (BEARER, BEARER),
    (BEARER, ("Authorization", "Bearer wrong")),
    (("Authorization", "Bearer wrong"), BEARER),
    (BEARER, ("authorization", "Basic eDp5")),
    (BEARER, ("X-Api-Key", SERVICE_TOKEN)),
    (("X-Api-Key", SERVICE_TOKEN), ("X-Api-Key", "wrong")),
]


@pytest.mark.parametrize("pairs", TWO_CREDENTIALS)
async def test_more_than_one_credential_header_is_400(
    make_client: MakeClient, pairs: tuple[tuple[str, str], ...]
) -> None:
    client = await make_client(
        auth="service_http", service_token=SERVICE_TOKEN, api_key_header="X-Api-Key"
    )
    for method, path in (("GET", "/todos/ann"), ("POST", "/todos/ann"), ("POST", "/mcp")):
        response = await client.open(
            path, method=method, json={}, headers=_credential_headers(*pairs)
        )
        assert response.status_code == 400, (method, path, pairs)
        error = await response.get_json()
        assert error["error"] == "invalid_request"
        assert "more than one credential" in error["error_description"]
    for single in (BEARER, ("X-Api-Key", SERVICE_TOKEN)):
        response = await client.get("/todos/ann", headers=_credential_headers(single))
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["/todos//ann", "/todos/ann//", "/.well-known//ai-plugin.json"])
async def test_repeated_slashes_are_not_redirected_by_the_host(
    make_client: MakeClient, path: str
) -> None:
    client = await make_client(public_url="https://plugin.example.com")
    response = await client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert (await response.get_json())["error"] == "not_found"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain /todos/ann", "plain /todos/ann"),
        ("a\nb", "a\\x0ab"),
        ("a\r\nINFO forged", "a\\x0d\\x0aINFO forged"),
        ("nul\x00", "nul\\x00"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("line\u2028sep\x85", "line\\u2028sep\\x85"),
        ("lone \ud800", "lone \\ud800"),
        ("tag \U000e0001", "tag \\U000e0001"),
        ("naïve ☕ 🚀", "naïve ☕ 🚀"),
    ],
)
def test_printable_escapes_what_would_break_a_line(text: str, escaped: str) -> None:
    assert printable(text) == escaped


def test_every_message_the_cli_logs_is_one_printable_line() -> None:
    stream = io.StringIO()
    handler = buffered_handler(stream)
    logger = logging.getLogger("tests.request_guards")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET %s -> 404", "/x\n2026-01-01 00:00:00,000 INFO forged: line\x00")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed on %s", "/y\r\n")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("GET /x\\x0a2026-01-01 00:00:00,000 INFO forged: line\\x00 -> 404")
    assert lines[1].endswith("failed on /y\\x0d\\x0a")
    assert lines[2] == "Traceback (most recent call last):"  # tracebacks keep their lines
    assert not any(line.startswith("2026-01-01") for line in lines)


async def test_mcp_errors_quote_at_most_a_clipped_name(client: QuartClient) -> None:
    headers = {"MCP-Protocol-Version": "2025-11-25"}
    long = "x" * 60_000
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": long},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": long}},
    ]
    for message in messages:
        answer = await (await client.post("/mcp", json=message, headers=headers)).get_json()
        text = answer["error"]["message"]
        assert len(text) < 200 and text.endswith("x...")
