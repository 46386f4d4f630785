"""The developer-loop subcommands: ``proxy UPSTREAM`` and ``check [URL] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .config import Settings
from .lint import Report, check_root, check_url

__all__ = ["register"]


def _check(settings: Settings, args: argparse.Namespace) -> int:
    report: Report = check_url(args.target) if args.target else check_root(settings)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
        return report.exit_code
    if report.could_not_check:
        print(f"could not check {report.target}: {report.could_not_check}", file=sys.stderr)
        return report.exit_code
    for finding in report.findings:
        print(finding)
    verdict = "fails" if report.errors else "passes"
    print(f"{report.target} {verdict}: {report.errors} error(s), {report.warnings} warning(s)")
    return report.exit_code


def register(commands: Any) -> None:
    from .cli import add_serve_flags, run_server  # the CLI imports this module's register

    proxy = commands.add_parser(
        "proxy", help="serve the local plugin files, forward every other request upstream"
    )
    proxy.add_argument("upstream", help="the API's base URL, e.g. https://api.example.com")
    add_serve_flags(proxy)
    proxy.set_defaults(handler=run_server)
    check = commands.add_parser(
        "check", help="check the plugin files (or a running plugin) against OpenAI's rules"
    )
    check.add_argument("target", nargs="?", help="a running plugin's URL; default: PLUGIN_ROOT")
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.add_argument("--root", default=argparse.SUPPRESS, help="plugin files folder")
    check.add_argument("--public-url", default=argparse.SUPPRESS, help="public base URL")
    check.set_defaults(handler=_check)
