"""/healthz and /readyz: public, small, kept out of the spec; readyz fails with the database."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from quart import Quart
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.state import app_state


async def test_health_checks_answer_without_credentials(client: QuartClient) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status_code == 200
        assert await response.get_json() == {"status": "ok"}


async def test_service_mode_health_is_public(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(auth="service_http", service_token="x" * 20))
    async with app.test_app():
        client = app.test_client()
        assert (await client.get("/todos/a")).status_code == 401
        assert (await client.get("/readyz")).status_code == 200


async def test_readyz_is_503_when_the_database_is_gone(app: Quart, client: QuartClient) -> None:
    store = app_state(app).open_store
    await store.close()
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert (await response.get_json())["error"] == "not_ready"
    assert (await client.get("/healthz")).status_code == 200


async def test_not_in_the_spec(client: QuartClient) -> None:
    spec = yaml.safe_load(
        await (await client.get("/openapi.yaml", headers={"Host": "localhost"})).get_data()
    )
    assert not {"/healthz", "/readyz"} & set(spec["paths"])
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "429" in operation["responses"]
