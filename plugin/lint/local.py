"""``python main.py check``: the files under ``PLUGIN_ROOT``, rendered as the server would
serve them (placeholder filled in, auth block from the settings) and checked, with the MCP
tools built from them (and the widget files they name) and the discovery documents made
from them unless ``PLUGIN_MCP=off``; and the handlers against the spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import Settings
from ..discovery import MAX_DESCRIPTION, server_card, server_json
from ..documents import load_spec, parse_manifest, render_manifest, render_spec, spec_bytes
from ..live_file import FileProblem
from ..plugin_files import STATIC
from .actions import check_actions
from .discovery import check_discovery
from .domains import root_domain
from .findings import CouldNotCheck, Finding, Report, error, warning
from .handlers import check_handlers
from .manifest import check_manifest
from .mcp import check_mcp
from .openapi import check_spec
from .served import check_png, check_size
from .widgets import check_widgets

__all__ = ["check_root"]


def _syntax(label: str, problem: FileProblem) -> Finding:
    where = f"{label}: line {problem.line}" if problem.line else label
    return error(
        where, problem.reason, "correct the syntax there; the server keeps the last good version"
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        raise CouldNotCheck(f"cannot read {path}: {problem.strerror}") from None


def _logo(settings: Settings, manifest: dict[str, Any], base_url: str) -> list[Finding]:
    url = manifest.get("logo_url")
    if not isinstance(url, str) or not url.startswith(base_url + "/"):
        return []  # hosted elsewhere: only `check https://host` can fetch it
    served = STATIC.get(url[len(base_url) :])
    if served is None:
        return [
            error(
                "manifest: logo_url",
                f"{url} is not a file this server serves",
                "point it at PLUGIN_HOSTNAME/logo.png",
            )
        ]
    path = settings.root / "static" / served[0]
    if not path.is_file():
        return [error("manifest: logo_url", f"{path} does not exist", "put a PNG logo there")]
    return check_png(f"static/{served[0]}", path.read_bytes())


def _discovery(
    settings: Settings, manifest: dict[str, Any], spec: dict[str, Any], base_url: str
) -> list[Finding]:
    """The discovery documents this server would serve, and what it had to cut to make them."""
    server = server_json(manifest, spec, settings, base_url)
    found = check_discovery(server, server_card(manifest, spec, settings, base_url))
    given = manifest.get("description_for_human")
    if isinstance(given, str) and len(given) > MAX_DESCRIPTION:
        found.append(
            warning(
                "server.json: description",
                f"description_for_human is {len(given)} characters; server.json and the "
                f"Server Card carry it cut to {MAX_DESCRIPTION}: {server['description']!r}",
                f"shorten description_for_human to {MAX_DESCRIPTION} characters",
            )
        )
    return found


def _check(settings: Settings, report: Report) -> None:
    base_url = settings.base_url or f"http://localhost:{settings.port}"
    root = root_domain(base_url)
    manifest_path, spec_path = settings.root / "manifest.json", settings.root / "openapi.yaml"
    manifest_data, spec_data = _read(manifest_path), _read(spec_path)
    rendered: dict[str, Any] | None = None
    rendered_spec: dict[str, Any] | None = None
    try:
        manifest = parse_manifest(manifest_path, manifest_data)
    except FileProblem as problem:
        report.findings.append(_syntax("manifest", problem))
    else:
        served_manifest = render_manifest(manifest, settings, base_url)
        rendered = json.loads(served_manifest)
        report.findings += check_size("manifest", served_manifest)
        report.findings += check_manifest(rendered, root)
        report.findings += _logo(settings, rendered, base_url)
    try:
        spec = load_spec(spec_path, spec_data)
    except FileProblem as problem:
        report.findings.append(_syntax("openapi", problem))
    else:
        rendered_spec = render_spec(spec, settings, base_url)
        report.findings += check_size("openapi", spec_bytes(rendered_spec)[0])
        report.findings += check_spec(rendered_spec, root, spec_data)
        report.findings += check_actions(rendered_spec)
        if settings.mcp:  # PLUGIN_MCP=off: no /mcp, so nothing for MCP clients to reject
            report.findings += check_mcp(rendered_spec, report.findings)
            report.findings += check_widgets(rendered_spec, settings.root)
    if settings.mcp and rendered is not None and rendered_spec is not None:
        report.findings += _discovery(settings, rendered, rendered_spec, base_url)
    report.findings += check_handlers(settings)


def check_root(settings: Settings) -> Report:
    """Check ``manifest.json``, ``openapi.yaml`` and the logo under ``settings.root``."""
    report = Report(target=str(settings.root))
    try:
        _check(settings, report)
    except CouldNotCheck as problem:
        report.could_not_check = str(problem)
    return report
