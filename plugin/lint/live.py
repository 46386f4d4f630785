"""``python main.py check https://host``: a running plugin checked the way ChatGPT installs it.

ChatGPT fetches ``/.well-known/ai-plugin.json``, then ``api.url``, then ``logo_url``; for a
localhost plugin the browser makes the calls, so CORS and Chrome's private-network preflight
are checked too. Each answer must have the right media type and stay within 100,000 characters.
When the plugin answers at ``/mcp``, the tools built from its spec are checked as well, and its
``server.json`` and Server Card against the registry's rules and the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..discovery import SERVER_CARD_PATH, SERVER_JSON_PATH
from ..documents import load_spec, parse_manifest
from ..live_file import FileProblem
from ..mcp import MCP_PATH
from .actions import check_actions
from .discovery import check_discovery, check_matches_manifest
from .domains import host_of, is_local, on_root_domain, root_domain
from .findings import CouldNotCheck, Finding, Report, error, warning
from .manifest import check_manifest
from .mcp import check_mcp
from .openapi import check_spec
from .served import check_png, check_size

__all__ = ["CHATGPT_ORIGIN", "check_url"]

MANIFEST_PATH = "/.well-known/ai-plugin.json"
CHATGPT_ORIGIN = "https://chat.openai.com"
SPEC_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/json")
TIMEOUT = 15.0


def _media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _fetch(
    http: httpx.Client, url: str, label: str, root: str
) -> tuple[httpx.Response, list[Finding]]:
    try:
        response = http.get(url)
    except httpx.HTTPError as problem:
        raise CouldNotCheck(f"cannot fetch {url}: {problem!r}") from None
    found = []
    final = host_of(str(response.url))
    if not on_root_domain(final, root):
        found.append(
            error(
                label,
                f"redirected to {final}, outside the root domain {root}",
                "serve it without redirecting away",
            )
        )
    if response.status_code != 200:
        raise _Stop(
            error(
                label, f"{url} answered {response.status_code}", "make it answer 200 with the file"
            )
        )
    found += check_size(label, response.content)
    return response, found


class _Stop(Exception):
    """A step failed so that ChatGPT would stop the install here; the finding says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _cors(http: httpx.Client, url: str, label: str, local: bool) -> list[Finding]:
    """The browser's preflight before a localhost plugin is called from chatgpt.com."""
    headers = {
        "Origin": CHATGPT_ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Private-Network": "true",
    }
    try:
        response = http.options(url, headers=headers)
    except httpx.HTTPError as problem:
        return [error(label, f"the CORS preflight failed: {problem!r}", "answer OPTIONS requests")]
    allowed = response.headers.get("access-control-allow-origin")
    found = []
    if response.status_code >= 300 or allowed not in (CHATGPT_ORIGIN, "*"):
        found.append(
            error(
                label,
                f"the CORS preflight from {CHATGPT_ORIGIN} was refused "
                f"(status {response.status_code}, Access-Control-Allow-Origin {allowed!r})",
                f"allow {CHATGPT_ORIGIN} and https://chatgpt.com (PLUGIN_CORS_ORIGINS here)",
            )
        )
    elif local and response.headers.get("access-control-allow-private-network") != "true":
        found.append(
            error(
                label,
                "the private-network preflight is not answered; Chrome blocks chatgpt.com from "
                "calling localhost without it",
                "answer it with Access-Control-Allow-Private-Network: true",
            )
        )
    return found


def _serves_mcp(http: httpx.Client, base: str) -> bool:
    """Whether ``/mcp`` exists: a GET there is refused (405, 401) but not unknown (404)."""
    try:
        return http.get(base + MCP_PATH).status_code != 404
    except httpx.HTTPError:
        return False


def _json(http: httpx.Client, url: str) -> tuple[Any, list[Finding]]:
    """The JSON document at ``url``, or None and why not."""
    try:
        response = http.get(url)
    except httpx.HTTPError as problem:
        return None, [error(url, f"cannot be fetched: {problem!r}", "serve it")]
    if response.status_code != 200:
        return None, [
            warning(
                url,
                f"answered {response.status_code}; MCP registries and clients find the server "
                "by it",
                "serve it (this server generates it from manifest.json)",
            )
        ]
    try:
        return json.loads(response.content), []
    except ValueError:
        return None, [error(url, "is not JSON", "serve the JSON document this server generates")]


def _discovery(http: httpx.Client, base: str, manifest: dict[str, Any]) -> list[Finding]:
    """``server.json`` and the Server Card: valid, alike, and saying what the manifest says."""
    server_url, card_url = base + SERVER_JSON_PATH, base + SERVER_CARD_PATH
    server, found = _json(http, server_url)
    card, card_found = _json(http, card_url)
    found += card_found
    if server is None or card is None:
        return found
    found += check_discovery(server, card, (server_url, card_url))
    return found + check_matches_manifest(server_url, server, manifest, base + MCP_PATH)


def _check(http: httpx.Client, base: str, report: Report) -> None:
    root = root_domain(base)
    local = is_local(root)
    if urlsplit(base).scheme != "https" and not local:
        report.findings.append(
            error(
                base,
                "is plain HTTP; ChatGPT accepts HTTP only for localhost",
                "serve the plugin over HTTPS (TLS 1.2 or later)",
            )
        )
    manifest_url = base + MANIFEST_PATH
    response, found = _fetch(http, manifest_url, "manifest", root)
    report.findings += found
    if _media_type(response) != "application/json":
        report.findings.append(
            error(
                "manifest",
                f"is served as {_media_type(response)!r}",
                "serve it as application/json",
            )
        )
    try:
        manifest: Any = parse_manifest(Path("ai-plugin.json"), response.content)
    except FileProblem as problem:
        raise _Stop(
            error(f"manifest: line {problem.line}", problem.reason, "correct the JSON syntax")
        ) from None
    report.findings += check_manifest(manifest, root)
    if local:
        report.findings += _cors(http, manifest_url, "manifest", local)
    api = manifest.get("api")
    spec_url = api.get("url") if isinstance(api, dict) else None
    if isinstance(spec_url, str) and host_of(spec_url):
        response, found = _fetch(http, spec_url, "openapi", root)
        report.findings += found
        if _media_type(response) not in SPEC_TYPES:
            report.findings.append(
                error(
                    "openapi",
                    f"is served as {_media_type(response)!r}",
                    "serve it as application/yaml or application/json",
                )
            )
        try:
            spec = load_spec(Path("openapi.yaml"), response.content)
        except FileProblem as problem:
            report.findings.append(
                error(f"openapi: line {problem.line}", problem.reason, "correct the YAML syntax")
            )
        else:
            report.findings += check_spec(spec, root, response.content)
            report.findings += check_actions(spec)
            if _serves_mcp(http, base):
                report.findings += check_mcp(spec, report.findings)
                report.findings += _discovery(http, base, manifest)
        if local:
            report.findings += _cors(http, spec_url, "openapi", local)
    logo_url = manifest.get("logo_url")
    if isinstance(logo_url, str) and host_of(logo_url):
        try:
            response = http.get(logo_url)
        except httpx.HTTPError as problem:
            raise _Stop(
                error("logo", f"cannot fetch {logo_url}: {problem!r}", "serve the logo")
            ) from None
        if response.status_code != 200:
            report.findings.append(
                error("logo", f"{logo_url} answered {response.status_code}", "serve the logo there")
            )
        else:
            if _media_type(response) != "image/png":
                report.findings.append(
                    error(
                        "logo", f"is served as {_media_type(response)!r}", "serve it as image/png"
                    )
                )
            report.findings += check_png("logo", response.content)


def check_url(url: str) -> Report:
    """Check the plugin whose base URL is ``url`` (a path is ignored, as ChatGPT does)."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    base = f"{parts.scheme}://{parts.netloc}"
    report = Report(target=base)
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True, trust_env=False) as http:
            _check(http, base, report)
    except _Stop as stop:
        report.findings.append(stop.finding)
    except CouldNotCheck as problem:
        report.could_not_check = str(problem)
    return report
