"""Bad input: a 4xx in the one envelope, never a 500 or a traceback, and nothing stored changes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from quart.testing import QuartClient

from .conftest import MakeClient
from .spec_limits import MAX_TODO_CHARS

DEEP = b"[" * 100_000 + b"]" * 100_000


async def snapshot(client: QuartClient) -> Any:
    pages = []
    for user in ("ann", "bob"):
        response = await client.get(f"/todos/{user}?limit=500")
        pages.append(await response.get_json())
    return pages


@pytest.fixture
async def seeded(client: QuartClient) -> QuartClient:
    seeds = (("ann", "milk"), ("ann", "eggs"), ("bob", "bread"))
    # Together, so the store commits them in one transaction (one fsync, not three).
    added = await asyncio.gather(
        *(client.post(f"/todos/{user}", json={"todo": text}) for user, text in seeds)
    )
    assert [response.status_code for response in added] == [200] * len(seeds)
    return client


def case(method: str, path: str, status: int, body: Any = None, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    return pytest.param(method, path, status, data, id=f"{method} {path} {status} {data!r:.40}")


CASES = [
    # malformed JSON
    case("POST", "/todos/ann", 400, raw=b'{"todo": '),
    case("POST", "/todos/ann", 400, raw=b"not json"),
    case("POST", "/todos/ann", 400, raw=b""),
    case("POST", "/todos/ann", 400, raw=b'{"todo": "\xff\xfe"}'),
    case("POST", "/todos/ann", 400, raw=DEEP[:60_000]),
    case("DELETE", "/todos/ann", 400, raw=b"{'todo_idx': 0}"),
    # JSON that is not an object
    case("POST", "/todos/ann", 422, ["milk"]),
    case("POST", "/todos/ann", 422, "milk"),
    case("POST", "/todos/ann", 422, 5),
    case("POST", "/todos/ann", 422, raw=b"null"),
    case("DELETE", "/todos/ann", 422, [0]),
    # wrong types, missing fields, empty text
    case("POST", "/todos/ann", 422, {"todo": 5}),
    case("POST", "/todos/ann", 422, {"todo": True}),
    case("POST", "/todos/ann", 422, {"todo": ["milk"]}),
    case("POST", "/todos/ann", 422, {"todo": {"text": "milk"}}),
    case("POST", "/todos/ann", 422, {"todo": None}),
    case("POST", "/todos/ann", 422, {}),
    case("POST", "/todos/ann", 422, {"text": "milk"}),
    case("POST", "/todos/ann", 422, {"todo": ""}),
    case("POST", "/todos/ann", 422, {"todo": " \t\n\r "}),
    case("POST", "/todos/ann", 422, {"todo": "x" * (MAX_TODO_CHARS + 1)}),
    case("POST", "/todos/ann", 422, raw=b'{"todo": "\\ud800"}'),
    case("DELETE", "/todos/ann", 422, {"todo_idx": "0"}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": True}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": False}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": 0.0}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": 1.5}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": -1}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": None}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": 2**31}),
    case("DELETE", "/todos/ann", 422, {"todo_idx": 10**30}),
    case("DELETE", "/todos/ann", 422, raw=b'{"todo_idx": NaN}'),
    case("DELETE", "/todos/ann", 422, {}),
    # unknown index, id or user
    case("DELETE", "/todos/ann", 404, {"todo_idx": 2}),
    case("DELETE", "/todos/ghost", 404, {"todo_idx": 0}),
    case("DELETE", "/todos/ann/999999", 404),
    case("DELETE", "/todos/ann/-1", 404),
    case("DELETE", "/todos/ann/abc", 404),
    case("DELETE", "/todos/ann/1.5", 404),
    case("DELETE", "/todos/ann/99999999999999999999999", 404),
    case("DELETE", "/todos/ann/9223372036854775807", 404),
    # bad parameters
    case("GET", "/todos/ann?limit=0", 422),
    case("GET", "/todos/ann?limit=501", 422),
    case("GET", "/todos/ann?limit=-1", 422),
    case("GET", "/todos/ann?limit=abc", 422),
    case("GET", "/todos/ann?limit=1.5", 422),
    case("GET", "/todos/ann?limit=", 422),
    case("GET", "/todos/ann?limit=1_0", 422),
    case("GET", "/todos/ann?limit=%D9%A3", 422),
    case("GET", "/todos/ann?limit=" + "9" * 5000, 422),
    case("GET", "/todos/ann?offset=-1", 422),
    case("GET", "/todos/ann?offset=x", 422),
    case("GET", "/todos/ann?offset=2147483648", 422),
    case("GET", "/todos/-ann", 422),
    case("GET", "/todos/" + "a" * 65, 422),
    case("POST", "/todos/ann%20bob", 422, {"todo": "milk"}),
    case("POST", "/todos/ann%00", 422, {"todo": "milk"}),
    # unknown routes
    case("GET", "/nowhere", 404),
    case("GET", "/todos", 404),
    case("GET", "/todos/", 404),
    case("POST", "/todos/ann/1/2", 404, {"todo": "milk"}),
    case("GET", "/static/logo.png", 404),
]


@pytest.mark.parametrize(("method", "path", "status", "data"), CASES)
async def test_rejected_with_envelope_and_nothing_changed(
    seeded: QuartClient, method: str, path: str, status: int, data: bytes | None
) -> None:
    before = await snapshot(seeded)
    headers = {"Content-Type": "application/json"} if data is not None else {}
    response = await seeded.open(path, method=method, data=data, headers=headers)
    await assert_envelope(response, status)
    assert await snapshot(seeded) == before


async def assert_envelope(response: Any, status: int) -> None:
    body = (await response.get_data()).decode()
    assert response.status_code == status, body
    assert response.headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert set(error) == {"error", "error_description"}
    assert isinstance(error["error"], str) and error["error"]
    assert isinstance(error["error_description"], str) and error["error_description"]
    assert "Traceback" not in body and 'File "' not in body


@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
async def test_body_over_64_kib_is_413(seeded: QuartClient, size: int) -> None:
    before = await snapshot(seeded)
    text = "x" * size
    for method in ("POST", "DELETE"):
        response = await seeded.open(
            "/todos/ann",
            method=method,
            data=json.dumps({"todo": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        await assert_envelope(response, 413)
        error = await response.get_json()
        assert error["error"] == "payload_too_large"
        assert "65536 bytes" in error["error_description"]
    assert await snapshot(seeded) == before


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/todos/ann", {"GET", "POST", "DELETE"}),
        ("PATCH", "/todos/ann", {"GET", "POST", "DELETE"}),
        ("GET", "/todos/ann/1", {"DELETE"}),
        ("POST", "/todos/ann/1", {"DELETE"}),
    ],
)
async def test_wrong_method_is_405_with_allow(
    seeded: QuartClient, method: str, path: str, allowed: set[str]
) -> None:
    before = await snapshot(seeded)
    response = await seeded.open(path, method=method, json={"todo": "x", "todo_idx": 0})
    await assert_envelope(response, 405)
    assert (await response.get_json())["error"] == "method_not_allowed"
    assert allowed <= {part.strip() for part in response.headers["Allow"].split(",")}
    assert await snapshot(seeded) == before


async def test_longest_todo_and_unicode_are_accepted(client: QuartClient) -> None:
    texts = ["x" * MAX_TODO_CHARS, 'naïve ☕ 🚀 \u0000 "quoted" \\ \u2028', "  padded  "]
    for text in texts:
        response = await client.post("/todos/ann", json={"todo": text})
        assert response.status_code == 200
        assert (await response.get_json())["todo"] == text
    assert (await (await client.get("/todos/ann")).get_json())["todos"] == texts


async def test_a_host_idna_cannot_encode_is_400_in_the_envelope(make_client: MakeClient) -> None:
    """Refused while the request is being routed, before Quart's error handlers can run; with
    PLUGIN_PUBLIC_URL set, as without it the host check refuses it first (test_host_check)."""
    client = await make_client(public_url="https://plugin.example.com")
    response = await client.get("/todos/ann", headers={"Host": "a..b"})
    assert response.status_code == 400
    body = await response.get_json()
    assert body["error"] == "bad_request" and body["error_description"]
