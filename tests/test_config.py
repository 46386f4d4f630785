"""Settings: flags > PLUGIN_* environment > TOML file > defaults; one clear error per bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugin import Settings, load_settings
from plugin.config import PROJECT_ROOT, ConfigError

from .conftest import SERVICE_TOKEN


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plugin.toml"
    path.write_text(text)
    return path


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.auth) == ("127.0.0.1", 5003, "none")
    assert settings.database == str(PROJECT_ROOT / "data" / "plugin.sqlite3")
    assert settings.root == PROJECT_ROOT
    assert settings.cors_origins == ("https://chat.openai.com", "https://chatgpt.com")


@pytest.mark.parametrize(
    ("name", "in_file", "in_env", "flag", "expected"),
    [
        ("port", "port = 1001", "1002", 1003, (1001, 1002, 1003)),
        ("public_url", 'public_url = "https://f.example"', "https://e.example", "https://c.example",
         ("https://f.example", "https://e.example", "https://c.example")),
        ("database", 'database = "/tmp/f.sqlite3"', "/tmp/e.sqlite3", "/tmp/c.sqlite3",
         ("/tmp/f.sqlite3", "/tmp/e.sqlite3", "/tmp/c.sqlite3")),
        ("access_log", "access_log = false", "on", False, (False, True, False)),
    ],
)  # fmt: skip
def test_flags_beat_environment_beat_file_beat_defaults(
    tmp_path: Path, name: str, in_file: str, in_env: str, flag: Any, expected: tuple[Any, ...]
) -> None:
    config = write_toml(tmp_path, in_file)
    env = {f"PLUGIN_{name.upper()}": in_env}
    from_file, from_env, from_flag = expected
    assert getattr(load_settings({}, config_file=config), name) == from_file
    assert getattr(load_settings(env, config_file=config), name) == from_env
    assert getattr(load_settings(env, {name: flag}, config), name) == from_flag
    assert getattr(load_settings({}, {name: None}), name) == getattr(Settings(), name)


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'cors_origins = ["https://a.example"]\nworkers = 3')
    settings = load_settings({"PLUGIN_CONFIG": str(config)})
    assert settings.cors_origins == ("https://a.example",)
    assert settings.workers == 3


def test_list_and_case_parsing() -> None:
    settings = load_settings(
        {
            "PLUGIN_CORS_ORIGINS": " https://a.example , https://b.example,",
            "PLUGIN_LOG_LEVEL": "debug",
            "PLUGIN_ACCESS_LOG": "OFF",
            "UNRELATED": "x",
        }
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.log_level == "DEBUG"
    assert settings.access_log is False


def test_relative_paths_resolve_from_the_project_not_the_working_directory() -> None:
    settings = load_settings({"PLUGIN_DATABASE": "data/x.sqlite3"})
    assert settings.database == str(PROJECT_ROOT / "data" / "x.sqlite3")


def test_environ_round_trip_rebuilds_the_same_settings(tmp_path: Path) -> None:
    """Worker processes rebuild the settings from to_environ(); nothing may be lost."""
    settings = Settings(
        database=tmp_path / "db.sqlite3",
        auth="service_http",
        service_token=SERVICE_TOKEN,
        authorization_type="basic",
        verification_token="verify-me",
        cors_origins=("https://a.example", "https://b.example"),
        trusted_proxy_hops=2,
        access_log=False,
        public_url="https://plugin.example.com",
    )
    assert load_settings(settings.to_environ()) == settings


def test_secrets_are_hidden_from_repr() -> None:
    settings = Settings(
        auth="service_http", service_token=SERVICE_TOKEN, verification_token="verify-secret"
    )
    assert SERVICE_TOKEN not in repr(settings)
    assert "verify-secret" not in repr(settings)


BAD_ENVIRONMENTS = [
    ({"PLUGIN_PORT": "abc"}, "PLUGIN_PORT"),
    ({"PLUGIN_PORT": "0"}, "PLUGIN_PORT"),
    ({"PLUGIN_PORT": "65536"}, "PLUGIN_PORT"),
    ({"PLUGIN_WORKERS": "0"}, "PLUGIN_WORKERS"),
    ({"PLUGIN_WORKERS": "two"}, "PLUGIN_WORKERS"),
    ({"PLUGIN_EVENT_LOOP": "trio"}, "PLUGIN_EVENT_LOOP"),
    ({"PLUGIN_SERVER": "gunicorn"}, "PLUGIN_SERVER"),
    ({"PLUGIN_SERVER": "Uvicorn"}, "PLUGIN_SERVER"),
    ({"PLUGIN_HOST": "example.com"}, "PLUGIN_HOST"),
    ({"PLUGIN_AUTH": "magic"}, "PLUGIN_AUTH"),
    ({"PLUGIN_AUTH": "service_http"}, "PLUGIN_SERVICE_TOKEN"),
    ({"PLUGIN_AUTH": "service_http", "PLUGIN_SERVICE_TOKEN": "short"}, "PLUGIN_SERVICE_TOKEN"),
    ({"PLUGIN_AUTHORIZATION_TYPE": "digest"}, "PLUGIN_AUTHORIZATION_TYPE"),
    ({"PLUGIN_PUBLIC_URL": "plugin.example.com"}, "PLUGIN_PUBLIC_URL"),
    ({"PLUGIN_PUBLIC_URL": "ftp://plugin.example.com"}, "PLUGIN_PUBLIC_URL"),
    ({"PLUGIN_PUBLIC_URL": "https://plugin.example.com/?x=1"}, "PLUGIN_PUBLIC_URL"),
    ({"PLUGIN_CORS_ORIGINS": "https://chatgpt.com/"}, "PLUGIN_CORS_ORIGINS"),
    ({"PLUGIN_CORS_ORIGINS": "chatgpt.com"}, "PLUGIN_CORS_ORIGINS"),
    ({"PLUGIN_TRUSTED_PROXY_HOPS": "-1"}, "PLUGIN_TRUSTED_PROXY_HOPS"),
    ({"PLUGIN_TRUSTED_PROXY_HOPS": "1.5"}, "PLUGIN_TRUSTED_PROXY_HOPS"),
    ({"PLUGIN_ACCESS_LOG": "maybe"}, "PLUGIN_ACCESS_LOG"),
    ({"PLUGIN_LOG_LEVEL": "LOUD"}, "PLUGIN_LOG_LEVEL"),
    ({"PLUGIN_MAX_BODY_BYTES": "10"}, "PLUGIN_MAX_BODY_BYTES"),
    ({"PLUGIN_BODY_TIMEOUT": "0"}, "PLUGIN_BODY_TIMEOUT"),
    ({"PLUGIN_BODY_TIMEOUT": "soon"}, "PLUGIN_BODY_TIMEOUT"),
    ({"PLUGIN_ROOT": "/nonexistent/plugin"}, "PLUGIN_ROOT"),
    ({"PLUGIN_CONFIG": "/nonexistent/plugin.toml"}, "PLUGIN_CONFIG"),
]


@pytest.mark.parametrize(("environ", "named"), BAD_ENVIRONMENTS)
def test_bad_value_names_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)
    message = str(raised.value)
    assert named in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('port = "abc"', "PLUGIN_PORT"),
        ("port = true", "PLUGIN_PORT"),
        ("access_log = 1", "PLUGIN_ACCESS_LOG"),
        ("auth = 3", "PLUGIN_AUTH"),
        ('colour = "blue"', "colour"),
        ("port = ", "PLUGIN_CONFIG"),
    ],
)
def test_bad_config_file_names_the_setting(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings({}, config_file=write_toml(tmp_path, text))


def test_the_server_is_hypercorn_unless_chosen(tmp_path: Path) -> None:
    assert load_settings({}).server == "hypercorn"
    assert load_settings({"PLUGIN_SERVER": "uvicorn"}).server == "uvicorn"
    from_file = load_settings({}, config_file=write_toml(tmp_path, 'server = "uvicorn"'))
    assert from_file.server == "uvicorn"
    flagged = load_settings({"PLUGIN_SERVER": "uvicorn"}, {"server": "hypercorn"})
    assert flagged.server == "hypercorn"  # the flag wins
    assert flagged.to_environ()["PLUGIN_SERVER"] == "hypercorn"  # what workers rebuild from


def test_uvloop_not_installed_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("plugin.config.UVLOOP_INSTALLED", False)
    with pytest.raises(ConfigError, match="PLUGIN_EVENT_LOOP is uvloop, which is not installed"):
        load_settings({"PLUGIN_EVENT_LOOP": "uvloop"})
    assert load_settings({"PLUGIN_EVENT_LOOP": "asyncio"}).event_loop == "asyncio"
