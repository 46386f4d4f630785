"""Parsing and rendering the plugin's two documents: ``manifest.json`` and ``openapi.yaml``.

Both keep the quickstart's ``PLUGIN_HOSTNAME`` placeholder, replaced by the public base URL.
The manifest's ``auth`` block and the spec's security scheme are generated from the configured
auth mode, so one pair of files serves every mode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import (
    OpenAPIValidationError,
    ValidatorDetectError,
)

from .config import Settings
from .live_file import FileProblem

__all__ = [
    "PLACEHOLDER",
    "brief",
    "line_of",
    "load_spec",
    "manifest_auth",
    "parse_manifest",
    "parse_spec",
    "render_manifest",
    "render_spec",
]

PLACEHOLDER = "PLUGIN_HOSTNAME"


def parse_manifest(path: Path, data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except UnicodeDecodeError:
        raise FileProblem(path, "is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise FileProblem(path, f"invalid JSON: {error.msg}", error.lineno) from None
    if not isinstance(value, dict):
        raise FileProblem(path, "must hold a JSON object", 1)
    return value


def load_spec(path: Path, data: bytes) -> dict[str, Any]:
    """The spec's YAML (or JSON) as a mapping, without validating it as OpenAPI."""
    try:
        value = yaml.safe_load(data)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise FileProblem(path, f"invalid YAML: {error.problem}", line) from None
    except yaml.YAMLError as error:
        raise FileProblem(path, f"invalid YAML: {error}") from None
    if not isinstance(value, dict):
        raise FileProblem(path, "must hold a YAML mapping", 1)
    return value


def brief(message: str, limit: int = 160) -> str:
    """A validator message made readable: its first line, the offending node it quotes
    replaced by "the value", and cut in the middle if still long."""
    first = message.split("\n", 1)[0]
    quoted = re.fullmatch(r"[\[{].*[\]}] ((?:is|does) .*)", first)
    if quoted:
        first = "the value " + quoted.group(1)
    if len(first) <= limit:
        return first
    return first[: limit // 3] + " ... " + first[-(limit * 2 // 3) :]


def line_of(data: bytes, keys: Sequence[Any]) -> int | None:
    """The 1-based line of the node at ``keys`` in a YAML/JSON document (the deepest found)."""
    try:
        node = yaml.compose(data, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_spec(path: Path, data: bytes) -> dict[str, Any]:
    value = load_spec(path, data)
    try:
        validate(value)
    except OpenAPIValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        line = line_of(data, list(error.absolute_path))
        raise FileProblem(
            path, f"invalid OpenAPI at {where}: {brief(error.message)}", line
        ) from None
    except (ValidatorDetectError, TypeError):  # no version it knows, or a number (openapi: 3.1)
        version = f"{value.get('openapi')!r:.40}"
        raise FileProblem(
            path,
            f"openapi is {version}, not a version such as 3.1.0 or 3.0.3 (as text)",
            line_of(data, ["openapi"]),
        ) from None
    return value


def _substitute(value: Any, base_url: str) -> Any:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, base_url)
    if isinstance(value, dict):
        return {key: _substitute(item, base_url) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, base_url) for item in value]
    return value


def manifest_auth(settings: Settings, base_url: str) -> dict[str, Any]:
    """The manifest's ``auth`` block for the configured mode."""
    auth: dict[str, Any] = {"type": settings.auth}
    if settings.auth in ("service_http", "user_http"):
        auth["authorization_type"] = settings.authorization_type
    elif settings.auth == "oauth":
        auth.update(
            client_url=f"{base_url}/oauth/authorize",
            scope=" ".join(settings.oauth_scopes),
            authorization_url=f"{base_url}/oauth/token",
            authorization_content_type=settings.oauth_authorization_content_type,
        )
    if settings.auth in ("service_http", "oauth") and settings.verification_token:
        auth["verification_tokens"] = {"openai": settings.verification_token}
    return auth


def render_manifest(manifest: dict[str, Any], settings: Settings, base_url: str) -> bytes:
    rendered = _substitute(manifest, base_url)
    rendered["auth"] = manifest_auth(settings, base_url)
    return json.dumps(rendered, indent=2, ensure_ascii=False).encode()


def _security_schemes(settings: Settings, base_url: str) -> dict[str, Any]:
    """Named security schemes, any one of which lets a call through."""
    schemes: dict[str, Any] = {}
    if settings.auth in ("service_http", "user_http"):
        schemes["pluginAuth"] = {"type": "http", "scheme": settings.authorization_type}
        if settings.api_key_header:
            schemes["apiKeyHeader"] = {
                "type": "apiKey",
                "in": "header",
                "name": settings.api_key_header,
            }
    elif settings.auth == "oauth":
        schemes["pluginAuth"] = {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": f"{base_url}/oauth/authorize",
                    "tokenUrl": f"{base_url}/oauth/token",
                    "refreshUrl": f"{base_url}/oauth/token",
                    "scopes": {scope: scope for scope in settings.oauth_scopes},
                }
            },
        }
    return schemes


def render_spec(spec: dict[str, Any], settings: Settings, base_url: str) -> dict[str, Any]:
    """The spec as served: base URL filled in, security matching the auth mode."""
    rendered: dict[str, Any] = _substitute(spec, base_url)
    schemes = _security_schemes(settings, base_url)
    if schemes:
        components = rendered.setdefault("components", {})
        components.setdefault("securitySchemes", {}).update(schemes)
        rendered["security"] = [{name: []} for name in schemes]
    return rendered


def spec_bytes(spec: dict[str, Any]) -> tuple[bytes, bytes]:
    """The rendered spec as (YAML, JSON)."""
    as_yaml = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True).encode()
    as_json = json.dumps(spec, indent=2, ensure_ascii=False).encode()
    return as_yaml, as_json
