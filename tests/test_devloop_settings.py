"""The developer loop's settings: validated at start-up, named in the error."""

from __future__ import annotations

import pytest

from plugin.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PLUGIN_UPSTREAM": "api.example.com"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM": "ftp://api.example.com"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM": "http://api.example.com:http"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM": "http://api.example.com:70000"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM": "http://api.example.com/#part"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM": "http://a%3Ab:pw@api.example.com"}, "PLUGIN_UPSTREAM"),
        ({"PLUGIN_UPSTREAM_TIMEOUT": "soon"}, "PLUGIN_UPSTREAM_TIMEOUT"),
        ({"PLUGIN_UPSTREAM_TIMEOUT": "0"}, "PLUGIN_UPSTREAM_TIMEOUT"),
        ({"PLUGIN_CONSOLE": "maybe"}, "PLUGIN_CONSOLE"),
    ],
)
def test_bad_values_stop_start_up(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_proxy_settings_and_defaults() -> None:
    defaults = load_settings({})
    assert defaults.upstream == "" and defaults.upstream_timeout == 30 and defaults.console
    settings = load_settings(
        {"PLUGIN_UPSTREAM_TIMEOUT": "2.5", "PLUGIN_CONSOLE": "off", "PLUGIN_AUTH": "service_http"},
        {"upstream": "https://api.example.com/v1"},
    )
    assert settings.upstream_timeout == 2.5 and not settings.console
    assert settings.upstream == "https://api.example.com/v1"  # no local token needed


def test_service_http_without_a_proxy_still_needs_its_token() -> None:
    with pytest.raises(ConfigError, match="PLUGIN_SERVICE_TOKEN"):
        load_settings({"PLUGIN_AUTH": "service_http"})


@pytest.mark.parametrize(
    ("upstream", "shown"),
    [
        ("https://dev:hunter2@api.example.com/v1", "https://dev:***@api.example.com/v1"),
        ("https://dev:@api.example.com", "https://dev:***@api.example.com"),
        ("https://ghp_token0123@api.example.com", "https://***@api.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
    ],
)
def test_the_upstream_is_shown_without_its_credentials(upstream: str, shown: str) -> None:
    settings = load_settings({"PLUGIN_UPSTREAM": upstream})
    assert settings.upstream == upstream  # still sent to the upstream
    assert settings.upstream_shown == shown and upstream not in repr(settings)
