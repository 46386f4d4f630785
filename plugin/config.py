"""One typed place for every setting.

Precedence, highest first: command-line flags, ``PLUGIN_*`` environment variables, an optional
TOML config file (``--config`` / ``PLUGIN_CONFIG``), then the defaults below. Every value is
validated here so a bad one stops start-up with a single line naming the setting, instead of
failing on the first request that touches it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import ssl
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yarl

from .networks import Network, parse_networks
from .rates import parse_rate

__all__ = [
    "AUTH_MODES",
    "ConfigError",
    "DATABASE_BUSY_TIMEOUT",
    "Settings",
    "is_database_url",
    "load_settings",
    "PROJECT_ROOT",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AUTH_MODES = ("none", "service_http", "user_http", "oauth")
AUTHORIZATION_TYPES = ("bearer", "basic")
DEFAULT_CORS_ORIGINS = ("https://chat.openai.com", "https://chatgpt.com")
ENV_PREFIX = "PLUGIN_"
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")
TOKEN_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded")
# An HTTP token (RFC 9110 5.6.2), minus the header that already carries credentials.
HEADER_NAME = re.compile(r"(?!(?i:authorization)$)[!#$%&'*+.^_`|~0-9A-Za-z-]+")
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
EVENT_LOOPS = ("uvloop", "asyncio")
DATABASE_BUSY_TIMEOUT = 10.0  # seconds; also the storage's default where no Settings are read
RATE_SETTINGS = (
    "rate_limit",
    "rate_limit_service",
    "rate_limit_oauth_client",
    "rate_limit_failed_auth",
)
RATE_LIMIT_STORES = ("auto", "memory", "database")
# uvloop is a dependency wherever it builds (not on Windows); asyncio's own loop is the fallback.
UVLOOP_INSTALLED = importlib.util.find_spec("uvloop") is not None


class ConfigError(ValueError):
    """A setting has a value the server cannot start with; the message names the setting."""


def _secret() -> Any:
    return field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, validated once at start-up."""

    host: str = "127.0.0.1"
    port: int = 5003
    workers: int = 1
    event_loop: str = "uvloop" if UVLOOP_INSTALLED else "asyncio"
    database: str = field(default=str(PROJECT_ROOT / "data" / "plugin.sqlite3"), repr=False)
    database_busy_timeout: float = DATABASE_BUSY_TIMEOUT
    root: Path = PROJECT_ROOT
    public_url: str = ""
    auth: str = "none"
    service_token: str = _secret()
    authorization_type: str = "bearer"
    verification_token: str = _secret()
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    trusted_proxy_hops: int = 0
    access_log: bool = True
    log_level: str = "INFO"
    max_body_bytes: int = 64 * 1024
    body_timeout: float = 60.0
    # user auth (user_http keys, oauth)
    api_key_header: str = ""
    oauth_scopes: tuple[str, ...] = ()
    oauth_authorization_content_type: str = "application/json"
    oauth_code_ttl: int = 60
    oauth_access_token_ttl: int = 3600
    oauth_refresh_token_ttl: int = 30 * 24 * 3600
    signin_window: int = 900
    signin_failures_per_account: int = 5  # for one account from one address
    signin_failures_per_address: int = 20
    signin_failures_account_wide: int = 100  # from every address; see oauth/signin_limits.py
    # mcp
    mcp: bool = True
    mcp_confirm: bool = True  # 2026-07-28 clients ask the user before a consequential call
    mcp_result_chars: int = 40_000  # a tool result's budget when the client declares none
    mcp_state_secret: str = _secret()  # signs the confirmation round trip; random if unset
    # devloop: proxy mode (an upstream API behind the local plugin files) and the console
    upstream: str = field(default="", repr=False)  # its userinfo may hold a password
    upstream_timeout: float = 30.0
    console: bool = True
    check_responses: bool = False  # log where an operation's answer breaks the spec
    reload_handlers: bool = False  # load handlers.py again when it changes
    admin_token: str = _secret()  # the operator's: reads the console's recent calls
    # mcp oauth (dynamic client registration, counted per address over signin_window)
    oauth_registrations_per_address: int = 1000
    oauth_unused_clients: int = 100_000
    oauth_unused_client_ttl: int = 7 * 24 * 3600
    # production
    certfile: str = ""
    keyfile: str = ""
    redirect_http_port: int = 0
    rate_limit: str = "60/minute"
    rate_limit_burst: int = 0
    rate_limit_service: str = "off"
    rate_limit_oauth_client: str = "3000/minute"
    rate_limit_failed_auth: str = "20/minute"
    rate_limit_store: str = "auto"
    allowed_networks: tuple[str, ...] = ()
    allowlist_exempt_loopback: bool = False
    allowlist_exempt_plugin_files: bool = True
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A Path given in code (tests, embedding) is accepted like the text of an environment value.
        object.__setattr__(self, "database", str(self.database))
        _check_production(self)
        _check(self.auth in AUTH_MODES, "auth", f"must be one of {', '.join(AUTH_MODES)}")
        _check(
            self.authorization_type in AUTHORIZATION_TYPES,
            "authorization_type",
            "must be bearer or basic",
        )
        _check(0 < self.port < 65536, "port", "must be between 1 and 65535")
        _check(self.workers >= 1, "workers", "must be at least 1")
        _check(self.event_loop in EVENT_LOOPS, "event_loop", f"must be {' or '.join(EVENT_LOOPS)}")
        _check(
            self.event_loop != "uvloop" or UVLOOP_INSTALLED,
            "event_loop",
            "is uvloop, which is not installed (pip install uvloop; not on Windows)",
        )
        _check(self.trusted_proxy_hops >= 0, "trusted_proxy_hops", "must be 0 or more")
        _check(self.max_body_bytes >= 1024, "max_body_bytes", "must be at least 1024")
        _check(self.body_timeout > 0, "body_timeout", "must be more than 0 seconds")
        _check(
            self.database_busy_timeout > 0, "database_busy_timeout", "must be more than 0 seconds"
        )
        _check((self.root / "manifest.json").is_file(), "root", f"{self.root} has no manifest.json")
        if self.auth == "service_http" and not self.upstream:  # a proxy's upstream checks it
            _check(
                len(self.service_token) >= 16,
                "service_token",
                "is required in service_http mode (at least 16 characters)",
            )
        if self.public_url:
            parts = urlsplit(self.public_url)
            _check(
                parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query,
                "public_url",
                "must be an absolute http(s) URL such as https://plugin.example.com",
            )
        for origin in self.cors_origins:
            parts = urlsplit(origin)
            _check(
                parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path == "",
                "cors_origins",
                f"{origin!r} is not an origin like https://chatgpt.com",
            )
        _check(
            self.log_level in ("DEBUG", "INFO", "WARNING", "ERROR"),
            "log_level",
            "must be DEBUG, INFO, WARNING or ERROR",
        )
        _check(
            not self.upstream or _is_base_url(self.upstream),
            "upstream",
            "must be an absolute http(s) URL such as https://api.example.com",
        )
        _check(self.upstream_timeout > 0, "upstream_timeout", "must be more than 0 seconds")
        _check(self.mcp_result_chars >= 1000, "mcp_result_chars", "must be at least 1000")
        _check(
            not self.mcp_state_secret or len(self.mcp_state_secret) >= 32,
            "mcp_state_secret",
            "must have at least 32 characters",
        )
        _check(
            not self.admin_token or len(self.admin_token) >= 16,
            "admin_token",
            "must have at least 16 characters",
        )
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            _check(self.host == "localhost", "host", "must be an IP address or localhost")
        self._check_user_auth()

    def _check_user_auth(self) -> None:
        _check(
            not self.api_key_header or HEADER_NAME.fullmatch(self.api_key_header) is not None,
            "api_key_header",
            "must be an HTTP header name such as X-Api-Key (and not Authorization)",
        )
        for scope in self.oauth_scopes:
            _check(
                SCOPE_TOKEN.fullmatch(scope) is not None,
                "oauth_scopes",
                f"{scope!r} is not a scope token (RFC 6749 section 3.3)",
            )
        _check(
            self.oauth_authorization_content_type in TOKEN_CONTENT_TYPES,
            "oauth_authorization_content_type",
            f"must be one of {', '.join(TOKEN_CONTENT_TYPES)}",
        )
        for name in (
            "oauth_code_ttl",
            "oauth_access_token_ttl",
            "oauth_refresh_token_ttl",
            "signin_window",
            "signin_failures_per_account",
            "signin_failures_per_address",
            "signin_failures_account_wide",
            "oauth_registrations_per_address",
            "oauth_unused_clients",
            "oauth_unused_client_ttl",
        ):
            _check(getattr(self, name) >= 1, name, "must be at least 1")
        _check(self.oauth_code_ttl <= 600, "oauth_code_ttl", "must be at most 600 (RFC 6749 4.1.2)")

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        """Where the trusted proxies connect from (empty: any peer is believed)."""
        return parse_networks(self.trusted_proxies)

    @cached_property
    def upstream_shown(self) -> str:
        """The upstream as logs and pages show it: a password in it (or a lone user) as ``***``."""
        url = yarl.URL(self.upstream)
        if url.password is not None:
            return str(url.with_password("***"))
        return str(url.with_user("***")) if url.user is not None else self.upstream

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash, or "" when it is derived per request."""
        return self.public_url.rstrip("/")

    def to_environ(self) -> dict[str, str]:
        """Render every setting as ``PLUGIN_*`` variables, so worker processes rebuild it."""
        return {ENV_PREFIX + f.name.upper(): _format(getattr(self, f.name)) for f in fields(self)}


def _is_base_url(value: str) -> bool:
    """An absolute http(s) URL that the proxy can put a request's path after."""
    try:
        url = yarl.URL(value)
        port = url.port  # parsed lazily: a port that is not a number raises only here
    except ValueError:
        return False
    return (
        url.scheme in ("http", "https")
        and bool(url.raw_host)
        and port is not None
        and not url.raw_query_string
        and not url.raw_fragment
        and ":" not in (url.user or "")  # Basic auth splits the user from the password there
    )


def is_database_url(database: str) -> bool:
    """True for a PostgreSQL URL; anything else names a SQLite file."""
    return database.startswith(DATABASE_URL_SCHEMES)


def _check_production(settings: Settings) -> None:
    _check(
        bool(settings.certfile) == bool(settings.keyfile),
        "certfile",
        "and PLUGIN_KEYFILE must be set together",
    )
    if settings.certfile:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                settings.certfile, settings.keyfile
            )
        except (OSError, ssl.SSLError) as error:
            reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
            _check(False, "certfile", f"and PLUGIN_KEYFILE cannot be loaded: {reason}")
    _check(0 <= settings.redirect_http_port < 65536, "redirect_http_port", "must be a port or 0")
    _check(
        not settings.redirect_http_port or bool(settings.certfile),
        "redirect_http_port",
        "needs PLUGIN_CERTFILE: it redirects to the HTTPS port",
    )
    _check(
        settings.redirect_http_port != settings.port,
        "redirect_http_port",
        "must differ from PLUGIN_PORT",
    )
    _check(settings.rate_limit_burst >= 0, "rate_limit_burst", "must be 0 (= the rate) or more")
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ValueError as error:
            _check(False, name, str(error))
    _check(
        settings.rate_limit_store in RATE_LIMIT_STORES,
        "rate_limit_store",
        f"must be one of {', '.join(RATE_LIMIT_STORES)}",
    )
    for name in ("allowed_networks", "trusted_proxies"):
        try:
            parse_networks(getattr(settings, name))
        except ValueError as error:
            _check(False, name, str(error))


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} {message}")


def _format(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected on or off")


def _parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _parser(annotation: Any) -> Callable[[str], Any]:
    parsers: dict[Any, Callable[[str], Any]] = {
        "int": int,
        "float": float,
        "bool": _parse_bool,
        "Path": lambda text: Path(text).expanduser(),
        "tuple[str, ...]": _parse_list,
        "str": str,
    }
    return parsers[annotation]


def _coerce(name: str, raw: Any, annotation: Any) -> Any:
    """Turn a raw value from any source into the field's type, naming the setting on failure."""
    if isinstance(raw, str):
        try:
            return _parser(annotation)(raw)
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} {raw!r} is invalid: {error}") from None
    if annotation == "tuple[str, ...]" and isinstance(raw, list):
        return tuple(str(item) for item in raw)
    if annotation == "Path":
        return Path(str(raw)).expanduser()
    if annotation == "float" and type(raw) in (int, float):
        return float(raw)
    expected = {"int": int, "bool": bool, "str": str}.get(annotation)
    if expected is not None and type(raw) is not expected:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be of type {annotation}")
    return raw


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{ENV_PREFIX}CONFIG cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{ENV_PREFIX}CONFIG {path} is not valid TOML: {error}") from None


def load_settings(
    environ: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build settings from flags > environment > config file > defaults."""
    known = {f.name: f for f in fields(Settings)}
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    if config_file is None and environ.get(ENV_PREFIX + "CONFIG"):
        config_file = Path(environ[ENV_PREFIX + "CONFIG"])
    layers: list[Mapping[str, Any]] = []
    if config_file is not None:
        from_file = _read_config_file(config_file)
        unknown = sorted(set(from_file) - set(known))
        if unknown:
            raise ConfigError(
                f"{ENV_PREFIX}CONFIG {config_file} has unknown setting {unknown[0]!r}"
            )
        layers.append(from_file)
    layers.append(
        {
            key[len(ENV_PREFIX) :].lower(): value
            for key, value in environ.items()
            if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in known
        }
    )
    layers.append(flags)
    values: dict[str, Any] = {}
    for layer in layers:
        for name, raw in layer.items():
            values[name] = _coerce(name, raw, known[name].type)
    if "root" in values and not values["root"].is_absolute():
        values["root"] = PROJECT_ROOT / values["root"]
    if "database" in values and not is_database_url(values["database"]):
        values["database"] = str(PROJECT_ROOT / Path(values["database"]).expanduser())
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    return Settings(**values)
