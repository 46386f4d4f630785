"""Policies over every route: none skips auth, and the spec and the app describe the same API."""

from __future__ import annotations

import re

import yaml
from quart import Quart
from quart.testing import QuartClient

from plugin import Settings, create_app
from plugin.auth import is_public
from plugin.config import PROJECT_ROOT

from .conftest import SERVICE_TOKEN, MakeClient

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # <int(max=9):todo_id> -> {todo_id}


def app_operations(app: Quart) -> set[tuple[str, str]]:
    return {
        (CONVERTER.sub(r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if not is_public(app, rule.endpoint)
        for method in (rule.methods or set()) & HTTP_METHODS
    }


def spec_operations() -> set[tuple[str, str]]:
    spec = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    return {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method.upper() in HTTP_METHODS
    }


def test_spec_and_app_agree(settings: Settings) -> None:
    """Every path and method of openapi.yaml is a route, and every API route is in the spec."""
    assert app_operations(create_app(settings)) == spec_operations()


def example_url(app: Quart, endpoint: str, arguments: set[str]) -> str:
    values: dict[str, object] = {name: 1 if name.endswith("_id") else "ann" for name in arguments}
    return app.url_map.bind("localhost").build(endpoint, values)


async def test_every_route_requires_auth_in_service_http(make_client: MakeClient) -> None:
    client: QuartClient = await make_client(auth="service_http", service_token=SERVICE_TOKEN)
    app = client.app
    rules = [rule for rule in app.url_map.iter_rules() if not is_public(app, rule.endpoint)]
    assert rules
    good = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    for rule in rules:
        url = example_url(app, rule.endpoint, set(rule.arguments))
        for method in sorted(rule.methods or ()):
            denied = await client.open(url, method=method, json={"todo": "x", "todo_idx": 0})
            assert denied.status_code == 401, (method, url)
            assert "WWW-Authenticate" in denied.headers
            if method != "HEAD":
                assert (await denied.get_json())["error"] == "unauthorized"
            allowed = await client.open(
                url, method=method, headers=good, json={"todo": "x", "todo_idx": 0}
            )
            assert allowed.status_code != 401, (method, url)
