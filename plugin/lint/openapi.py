"""Rules for the OpenAPI spec as ChatGPT plugins read it: validity (openapi-spec-validator),
unique operationIds, ``servers`` on the root domain, the 200-character description limit and
the media types (see shared PROTOCOL sections 2 and 4)."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator.shortcuts import get_validator_cls

from ..documents import brief, line_of
from .domains import host_of, on_root_domain
from .findings import Finding, error, too_long
from .walk import operations, parameters, resolve

__all__ = ["check_spec", "operation_path"]

WHERE = "openapi"
PLUGIN_LIMIT = 200


def operation_path(path: str, method: str, rest: str = "") -> str:
    return f"{WHERE}: paths.{path}.{method}{'.' + rest if rest else ''}"


def _validity(spec: dict[str, Any], source: bytes | None) -> list[Finding]:
    try:
        validator = get_validator_cls(spec)(spec)
        errors = list(validator.iter_errors())
    except Exception as problem:  # the validator cannot even tell the version
        return [
            error(
                f"{WHERE}: openapi",
                f"is not an OpenAPI document: {problem}",
                'start with "openapi: 3.1.0" or "openapi: 3.0.3"',
            )
        ]
    found = []
    for invalid in errors[:20]:
        where = ".".join(str(part) for part in invalid.absolute_path) or "(top level)"
        line = line_of(source, list(invalid.absolute_path)) if source else None
        message = brief(invalid.message)
        found.append(
            error(
                f"{WHERE}: {where}" + (f" (line {line})" if line else ""),
                f"invalid OpenAPI: {message}",
                "correct it as the OpenAPI schema says",
            )
        )
    return found


def _operation_ids(spec: dict[str, Any]) -> list[Finding]:
    seen: dict[str, str] = {}
    found = []
    for path, method, operation in operations(spec):
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str):
            found.append(
                error(
                    operation_path(path, method, "operationId"),
                    "is missing; the model calls each operation by its operationId",
                    "add a short, expressive operationId such as getTodos",
                )
            )
        elif operation_id in seen:
            found.append(
                error(
                    operation_path(path, method, "operationId"),
                    f"{operation_id!r} is also used by {seen[operation_id]}",
                    "give every operation its own operationId",
                )
            )
        else:
            seen[operation_id] = f"{method.upper()} {path}"
    return found


def _servers(spec: dict[str, Any], root: str) -> list[Finding]:
    servers = spec.get("servers")
    if not isinstance(servers, list) or not servers:
        return [
            error(
                f"{WHERE}: servers",
                "is missing; GPT Actions need it and plugins guess the host",
                "add servers: [{url: PLUGIN_HOSTNAME}]",
            )
        ]
    hosts = [host_of(str(server.get("url", ""))) for server in servers if isinstance(server, dict)]
    if any(on_root_domain(host, root) for host in hosts):
        return []
    return [
        error(
            f"{WHERE}: servers",
            f"no server is on the root domain {root} ({', '.join(h or '?' for h in hosts)}); "
            f"ChatGPT would call {root} instead",
            "list the API's URL on the root domain or a subdomain, e.g. PLUGIN_HOSTNAME",
        )
    ]


def _descriptions(spec: dict[str, Any]) -> list[Finding]:
    found = []
    who = "ChatGPT plugins"
    for path, method, operation in operations(spec):
        for key in ("summary", "description"):
            found += too_long(
                operation_path(path, method, key), operation.get(key), PLUGIN_LIMIT, who
            )
        for parameter in parameters(spec, path, operation):
            where = operation_path(path, method, f"parameters.{parameter.get('name')}.description")
            found += too_long(where, parameter.get("description"), PLUGIN_LIMIT, who)
    return found


def _media_types(spec: dict[str, Any]) -> list[Finding]:
    found = []
    for path, method, operation in operations(spec):
        contents: list[tuple[str, Any]] = []
        body = resolve(spec, operation.get("requestBody"))
        if isinstance(body, dict):
            contents.append(("requestBody", body.get("content")))
        for status, response in (operation.get("responses") or {}).items():
            response = resolve(spec, response)
            if isinstance(response, dict):
                contents.append((f"responses.{status}", response.get("content")))
        for where, content in contents:
            for media_type in content if isinstance(content, dict) else ():
                lowered = str(media_type).lower()
                if lowered == "text/json":
                    message, fix = (
                        "text/json is not a registered media type",
                        "use application/json",
                    )
                elif "/" not in lowered:
                    message, fix = f"{media_type!r} is not a media type", "use application/json"
                else:
                    continue
                found.append(
                    error(
                        operation_path(path, method, f"{where}.content.{media_type}"), message, fix
                    )
                )
    return found


def check_spec(spec: Any, root: str, source: bytes | None = None) -> list[Finding]:
    """Every plugin rule for the spec; ``root`` is the manifest's root domain, ``source`` the
    text it was read from (to name the line of a validation error)."""
    if not isinstance(spec, dict):
        return [error(WHERE, "must be a YAML mapping or JSON object", "start with openapi: 3.1.0")]
    return [
        *_validity(spec, source),
        *_operation_ids(spec),
        *_servers(spec, root),
        *_descriptions(spec),
        *_media_types(spec),
    ]
