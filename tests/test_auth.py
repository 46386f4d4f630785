"""Auth mode service_http: the one secret, as bearer or basic; plugin files stay public."""

from __future__ import annotations

import base64

import pytest
from quart.testing import QuartClient

from .conftest import SERVICE_TOKEN, MakeClient


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def service_client(make_client: MakeClient, scheme: str) -> QuartClient:
    return await make_client(
        auth="service_http", service_token=SERVICE_TOKEN, authorization_type=scheme
    )


async def stored(client: QuartClient, authorization: str) -> list[str]:
    response = await client.get("/todos/ann", headers={"Authorization": authorization})
    assert response.status_code == 200
    texts: list[str] = (await response.get_json())["todos"]
    return texts


@pytest.mark.parametrize(
    ("scheme", "authorization"),
    [
        ("bearer", f"Bearer {SERVICE_TOKEN}"),
        ("bearer", f"bearer {SERVICE_TOKEN}"),
        ("basic", f"Basic {SERVICE_TOKEN}"),  # the value as pasted
        ("basic", f"Basic {b64(SERVICE_TOKEN)}"),
        ("basic", f"Basic {b64('chatgpt:' + SERVICE_TOKEN)}"),
        ("basic", f"Basic {b64(':' + SERVICE_TOKEN)}"),
    ],
)
async def test_right_token_is_let_in(
    make_client: MakeClient, scheme: str, authorization: str
) -> None:
    client = await service_client(make_client, scheme)
    headers = {"Authorization": authorization}
    response = await client.post("/todos/ann", json={"todo": "milk"}, headers=headers)
    assert response.status_code == 200
    assert await stored(client, authorization) == ["milk"]


WRONG = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer wrong-token-0123456789",
    f"Bearer {SERVICE_TOKEN}x",
    f"Bearer {SERVICE_TOKEN[:-1]}",
    f"Bearer {b64(SERVICE_TOKEN)}",
    f"Token {SERVICE_TOKEN}",
    f"Digest {SERVICE_TOKEN}",
    f"Basic {SERVICE_TOKEN}",
    f"Basic {b64('chatgpt:' + SERVICE_TOKEN)}",
    SERVICE_TOKEN,
    f"{SERVICE_TOKEN} Bearer",
]


@pytest.mark.parametrize("authorization", WRONG)
async def test_missing_wrong_or_other_scheme_is_401_bearer(
    make_client: MakeClient, authorization: str | None
) -> None:
    client = await service_client(make_client, "bearer")
    await assert_refused(client, authorization, "Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic ",
        f"Bearer {SERVICE_TOKEN}",
        f"Basic {b64('chatgpt:wrong-token-0123456789')}",
        f"Basic {b64(SERVICE_TOKEN + ':chatgpt')}",
        f"Basic {SERVICE_TOKEN[:-1]}",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe" + SERVICE_TOKEN.encode()).decode(),
    ],
)
async def test_missing_wrong_or_other_scheme_is_401_basic(
    make_client: MakeClient, authorization: str | None
) -> None:
    client = await service_client(make_client, "basic")
    await assert_refused(client, authorization, "Basic")


async def assert_refused(client: QuartClient, authorization: str | None, scheme: str) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in (
        ("POST", "/todos/ann", {"todo": "sneaky"}),
        ("GET", "/todos/ann", None),
        ("DELETE", "/todos/ann", {"todo_idx": 0}),
        ("DELETE", "/todos/ann/1", None),
    ):
        response = await client.open(path, method=method, headers=headers, json=body)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith(scheme)
        assert response.headers["Content-Type"] == "application/json"
        error = await response.get_json()
        assert set(error) == {"error", "error_description"}
        assert error["error"] == "unauthorized"
        assert SERVICE_TOKEN not in (await response.get_data()).decode()
    right = f"Bearer {SERVICE_TOKEN}" if scheme == "Bearer" else f"Basic {SERVICE_TOKEN}"
    assert await stored(client, right) == []


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
async def test_plugin_files_stay_public(make_client: MakeClient, scheme: str) -> None:
    client = await service_client(make_client, scheme)
    for path in (
        "/.well-known/ai-plugin.json",
        "/openapi.yaml",
        "/openapi.json",
        "/logo.png",
        "/legal",
        "/privacy",
    ):
        response = await client.get(path, headers={"Host": "localhost:5003"})
        assert response.status_code == 200, path
        assert SERVICE_TOKEN.encode() not in await response.get_data()
