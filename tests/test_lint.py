"""The linter: one broken fixture per rule (tests/fixtures/lint/), each must produce its finding,
while the shipped files produce none. ``via: url`` fixtures are served by a real HTTP server
and checked the way ChatGPT installs a plugin; ``via: files`` ones are checked on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin import Settings
from plugin.lint import Report, check_root, check_url
from tests.raw_http import Answer, Request, raw_server

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
CASES = sorted(path.name for path in FIXTURES.iterdir())
SERVED = {
    "/.well-known/ai-plugin.json": ("manifest.json", "application/json"),
    "/openapi.yaml": ("openapi.yaml", "application/yaml"),
    "/logo.png": ("static/logo.png", "image/png"),
}


def _overlay(root: Path, case: str) -> dict[str, Any]:
    for source in (FIXTURES / case).rglob("*"):
        relative = source.relative_to(FIXTURES / case)
        if source.is_file() and relative.name != "expect.json":
            shutil.copy(source, root / relative)
    expect: dict[str, Any] = json.loads((FIXTURES / case / "expect.json").read_text())
    return expect


def _serve(root: Path, options: dict[str, Any], base: list[str]) -> Callable[[Request], Answer]:
    """A plugin served from ``root`` by hand, with the flaws ``options`` asks for."""

    def respond(request: Request) -> Answer:
        if request.path == "/mcp" and options.get("mcp"):
            return Answer(405, b"")  # an MCP endpoint refuses GET without an event stream
        if request.method == "OPTIONS":
            headers = {}
            if options.get("cors", True):
                headers["Access-Control-Allow-Origin"] = request.headers.get("origin", "")
                if options.get("private_network", True):
                    headers["Access-Control-Allow-Private-Network"] = "true"
            return Answer(204, b"", headers)
        if request.path not in SERVED or request.path in options.get("missing", ()):
            return Answer(404, b"not found")
        name, content_type = SERVED[request.path]
        body = (root / name).read_bytes().replace(b"PLUGIN_HOSTNAME", base[0].encode())
        content_type = options.get("content_types", {}).get(request.path, content_type)
        return Answer(200, body, {"Content-Type": content_type})

    return respond


@pytest.fixture
def served_plugin() -> Iterator[Callable[[Path, dict[str, Any]], Report]]:
    def check(root: Path, options: dict[str, Any]) -> Report:
        base: list[str] = []
        with raw_server(_serve(root, options, base)) as url:
            base.append(url.replace("127.0.0.1", "localhost"))
            return check_url(base[0])

    yield check


def _check(
    case_root: Path,
    expect: dict[str, Any],
    make_settings: Callable[..., Settings],
    served_plugin: Callable[[Path, dict[str, Any]], Report],
) -> Report:
    if expect["via"] == "url":
        return served_plugin(case_root, expect.get("serve", {}))
    return check_root(make_settings(root=case_root, **expect.get("settings", {})))


@pytest.mark.parametrize("case", CASES)
def test_each_broken_fixture_produces_its_finding(
    case: str,
    plugin_root: Path,
    make_settings: Callable[..., Settings],
    served_plugin: Callable[[Path, dict[str, Any]], Report],
) -> None:
    expect = _overlay(plugin_root, case)
    report = _check(plugin_root, expect, make_settings, served_plugin)
    matching = [
        finding
        for finding in report.findings
        if finding.severity == expect["severity"]
        and finding.path.startswith(expect["path"])
        and expect["message"] in finding.message
        and finding.fix
    ]
    assert matching, "\n".join(map(str, report.findings)) or "no findings"
    assert report.exit_code == (1 if expect["severity"] == "error" else 0)


@pytest.mark.parametrize("via", ["files", "url"])
def test_the_shipped_files_pass_with_no_warning(
    via: str,
    plugin_root: Path,
    make_settings: Callable[..., Settings],
    served_plugin: Callable[[Path, dict[str, Any]], Report],
) -> None:
    report = _check(plugin_root, {"via": via}, make_settings, served_plugin)
    assert report.findings == [] and report.exit_code == 0


def test_the_shipped_files_pass_on_a_public_domain(
    plugin_root: Path, make_settings: Callable[..., Settings]
) -> None:
    """contact_email's root-domain rule applies once the plugin has a real domain."""
    report = check_root(make_settings(root=plugin_root, public_url="https://plugin.example.com"))
    assert report.findings == []
    mine = check_root(make_settings(root=plugin_root, public_url="https://todo.mysite.dev"))
    assert [finding.path for finding in mine.findings] == ["manifest: contact_email"]


def test_a_missing_file_could_not_be_checked(
    plugin_root: Path, make_settings: Callable[..., Settings]
) -> None:
    (plugin_root / "openapi.yaml").unlink()
    report = check_root(make_settings(root=plugin_root))
    assert report.exit_code == 2 and "openapi.yaml" in report.could_not_check


def test_mcp_rules_are_skipped_when_the_endpoint_is_off(
    plugin_root: Path,
    make_settings: Callable[..., Settings],
    served_plugin: Callable[[Path, dict[str, Any]], Report],
) -> None:
    _overlay(plugin_root, "mcp_tool_name_clash")
    on = check_root(make_settings(root=plugin_root))
    assert [finding.severity for finding in on.findings] == ["error"]
    off = check_root(make_settings(root=plugin_root, mcp=False))
    assert off.findings == [] and off.exit_code == 0
    no_endpoint = served_plugin(plugin_root, {})  # /mcp answers 404
    assert no_endpoint.findings == [] and no_endpoint.exit_code == 0


def test_a_problem_the_plugin_rules_report_is_not_reported_again_for_mcp(
    plugin_root: Path, make_settings: Callable[..., Settings]
) -> None:
    """A duplicate operationId is also an MCP name clash: one finding at that place."""
    _overlay(plugin_root, "duplicate_operation_id")
    report = check_root(make_settings(root=plugin_root))
    paths = [finding.path for finding in report.findings]
    assert len(paths) == len(set(paths))
    assert not any(finding.message.startswith("MCP:") for finding in report.findings)
