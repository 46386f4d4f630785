"""The manifest and the spec stay true in the user-auth modes, and hold no secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from plugin import Settings, create_app


async def served(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    app = create_app(settings)
    async with app.test_app():
        client = app.test_client()
        manifest = await (await client.get("/.well-known/ai-plugin.json")).get_json()
        spec = yaml.safe_load(await (await client.get("/openapi.yaml")).get_data(as_text=True))
    validate(spec)
    return manifest, spec


async def test_oauth_documents(make_settings: Callable[..., Settings]) -> None:
    manifest, spec = await served(
        make_settings(
            auth="oauth",
            oauth_authorization_content_type="application/x-www-form-urlencoded",
            oauth_scopes=("todos",),
            verification_token="verify-me",
        )
    )
    assert manifest["auth"] == {
        "type": "oauth",
        "client_url": "http://localhost/oauth/authorize",
        "scope": "todos",
        "authorization_url": "http://localhost/oauth/token",
        "authorization_content_type": "application/x-www-form-urlencoded",
        "verification_tokens": {"openai": "verify-me"},
    }
    flow = spec["components"]["securitySchemes"]["pluginAuth"]["flows"]["authorizationCode"]
    assert flow["tokenUrl"] == flow["refreshUrl"] == "http://localhost/oauth/token"
    assert flow["scopes"] == {"todos": "todos"}
    assert spec["security"] == [{"pluginAuth": []}]


@pytest.mark.parametrize("auth", ["user_http", "service_http"])
async def test_key_modes_list_the_custom_header(
    make_settings: Callable[..., Settings], auth: str
) -> None:
    token = "service-token-0123456789abcdef"
    manifest, spec = await served(
        make_settings(auth=auth, service_token=token, api_key_header="X-Api-Key")
    )
    assert manifest["auth"]["type"] == auth
    assert spec["components"]["securitySchemes"]["apiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
    }
    assert spec["security"] == [{"pluginAuth": []}, {"apiKeyHeader": []}]
    assert token not in str(manifest) + str(spec)
    username = spec["paths"]["/todos/{username}"]["get"]["parameters"][0]
    assert "`me`" in username["description"] and len(username["description"]) <= 200


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("api_key_header", "Authorization"),
        ("api_key_header", "X Api Key"),
        ("oauth_scopes", ('bad"scope',)),
        ("oauth_authorization_content_type", "text/plain"),
        ("oauth_code_ttl", 0),
        ("oauth_code_ttl", 3600),
        ("oauth_access_token_ttl", 0),
        ("signin_failures_per_account", 0),
        ("signin_failures_account_wide", 0),
        ("oauth_unused_clients", 0),
        ("oauth_unused_client_ttl", -1),
    ],
)
def test_bad_settings_name_themselves(
    make_settings: Callable[..., Settings], setting: str, value: object
) -> None:
    from plugin.config import ConfigError

    with pytest.raises(ConfigError, match=f"PLUGIN_{setting.upper()}"):
        make_settings(**{setting: value})
