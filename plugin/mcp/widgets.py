"""UI widgets: an operation's ``x-mcp: {widget: static/widgets/todos.html}`` names an HTML file
of the plugin folder, which hosts render the tool's results in.

The MCP Apps extension (SEP-1865, ``io.modelcontextprotocol/ui``) links a tool to a ``ui://``
resource through ``_meta.ui.resourceUri``; the resource is ``text/html;profile=mcp-app`` with
its CSP and permissions in ``_meta.ui``. ChatGPT implements the same extension and also reads
its Apps SDK keys (``openai/outputTemplate``, ``openai/widgetCSP``...), so both are written.
This module only reads the spec: what goes wrong is reported like every other ``x-mcp``
problem, and the file itself is read when a client asks for it (``resources.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal, Protocol

__all__ = ["MIME_TYPE", "UI_EXTENSION", "Widget", "link_widget"]

UI_EXTENSION = "io.modelcontextprotocol/ui"
MIME_TYPE = "text/html;profile=mcp-app"
URI_PREFIX = "ui://widget/"
SUFFIXES = (".html", ".htm")
# The CSP lists a host turns into directives, and their names in ChatGPT's openai/widgetCSP.
CSP_KEYS = {
    "connectDomains": "connect_domains",
    "resourceDomains": "resource_domains",
    "frameDomains": "frame_domains",
    "baseUriDomains": None,
}
PERMISSIONS = ("camera", "microphone", "geolocation", "clipboardWrite")
# An origin and nothing else: hosts join these into a CSP, so a space or ';' would add a rule.
ORIGIN = re.compile(r"(?:https?|wss?)://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?")
CSP_FIX = f"write csp: {{{', '.join(CSP_KEYS)}}} with a list of origins each"
OPTIONS = ("file", "description", "csp", "permissions", "domain", "prefersBorder")

Where = tuple[str, str]  # (method, path) of an operation
Severity = Literal["error", "warning"]


class Report(Protocol):
    """Records one problem of the operation at ``where`` (the tool builder's ``problem``)."""

    def __call__(
        self,
        where: Where,
        field: str,
        message: str,
        fix: str,
        *,
        severity: Severity = ...,
    ) -> None: ...


@dataclass(frozen=True)
class Widget:
    """One widget file and what a host needs to render it; ``where`` is the first operation
    (method, path) that names it."""

    path: str
    description: str
    ui: dict[str, Any]
    where: Where

    @property
    def uri(self) -> str:
        """The resource's URI: ``ui://widget/`` and the file's path in the plugin folder."""
        return URI_PREFIX + self.path

    @property
    def tool_meta(self) -> dict[str, Any]:
        """The ``_meta`` of a tool whose results this widget shows."""
        return {
            "ui": {"resourceUri": self.uri},
            "openai/outputTemplate": self.uri,
            "openai/widgetAccessible": True,
        }

    @property
    def resource_meta(self) -> dict[str, Any]:
        """The resource's ``_meta``: the extension's ``ui`` and the Apps SDK's own keys."""
        csp = self.ui["csp"]
        meta: dict[str, Any] = {
            "ui": self.ui,
            "openai/widgetCSP": {
                openai: csp[key] for key, openai in CSP_KEYS.items() if openai and key in csp
            },
            "openai/widgetPrefersBorder": self.ui["prefersBorder"],
            "openai/widgetDescription": self.description,
        }
        if "domain" in self.ui:
            meta["openai/widgetDomain"] = self.ui["domain"]
        return meta

    @property
    def listing(self) -> dict[str, Any]:
        """The ``resources/list`` entry."""
        return {
            "uri": self.uri,
            "name": PurePosixPath(self.path).stem,
            "description": self.description,
            "mimeType": MIME_TYPE,
            "_meta": self.resource_meta,
        }


def _path(value: Any) -> str | None:
    """A relative path inside the plugin folder, in POSIX form, or None."""
    if not isinstance(value, str) or "\\" in value or "\x00" in value:
        return None
    parts = value.split("/")
    if value.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return None
    return value if value.lower().endswith(SUFFIXES) else None


class _Options:
    """Reads the options of one ``x-mcp.widget``, reporting what it cannot use."""

    def __init__(self, where: Where, report: Report) -> None:
        self.where = where
        self.report = report

    def problem(self, field: str, message: str, fix: str, severity: Severity = "error") -> None:
        self.report(self.where, f"x-mcp.widget{field}", message, fix, severity=severity)

    def csp(self, value: Any) -> dict[str, list[str]]:
        csp: dict[str, list[str]] = {"connectDomains": [], "resourceDomains": []}
        if value is not None and not isinstance(value, dict):
            self.problem(".csp", "csp must be a mapping; ignored", CSP_FIX)
            return csp
        for key, domains in (value or {}).items():
            if key not in CSP_KEYS:
                self.problem(f".csp.{key}", f"unknown CSP list {key!r}; ignored", CSP_FIX)
                continue
            csp[key] = []
            for domain in domains if isinstance(domains, list) else [domains]:
                if isinstance(domain, str) and ORIGIN.fullmatch(domain):
                    csp[key].append(domain)
                else:
                    self.problem(
                        f".csp.{key}",
                        f"{domain!r} is not an origin such as https://api.example.com; ignored",
                        "list origins only: scheme, host (optionally *.) and port",
                    )
        return csp

    def permissions(self, value: Any) -> dict[str, dict[str, Any]]:
        granted: dict[str, dict[str, Any]] = {}
        for name in list(value) if isinstance(value, (list, dict)) else [value]:
            if name in PERMISSIONS:
                granted[name] = {}
            else:
                self.problem(
                    ".permissions",
                    f"unknown permission {name!r}; ignored",
                    f"use some of {', '.join(PERMISSIONS)}",
                )
        return granted

    def widget(self, value: Any, tool: str) -> Widget | None:
        options = value if isinstance(value, dict) else {"file": value}
        path = _path(options.get("file"))
        if path is None:
            self.problem(
                "",
                f"widget {options.get('file')!r} is not an .html file path inside the plugin "
                "folder; no widget is linked",
                "write x-mcp: {widget: static/widgets/<name>.html}, relative to the plugin folder",
            )
            return None
        for key in [key for key in options if key not in OPTIONS]:
            self.problem(
                f".{key}",
                f"unknown widget option {key!r}; ignored",
                f"use {', '.join(OPTIONS)}",
                "warning",
            )
        description = options.get("description")
        if not isinstance(description, str) or not description.strip():
            description = f"Shows the result of {tool}."
        border = options.get("prefersBorder", True)
        if not isinstance(border, bool):
            self.problem(
                ".prefersBorder",
                "prefersBorder must be true or false; the host is asked for a border",
                "write prefersBorder: false, or leave it out for a border",
            )
            border = True
        ui: dict[str, Any] = {"csp": self.csp(options.get("csp")), "prefersBorder": border}
        if "permissions" in options:
            ui["permissions"] = self.permissions(options["permissions"])
        if isinstance(options.get("domain"), str) and options["domain"].strip():
            ui["domain"] = options["domain"].strip()
        return Widget(path, description.strip(), ui, self.where)


def link_widget(
    value: Any, where: Where, tool: str, widgets: dict[str, Widget], report: Report
) -> Widget | None:
    """The widget ``x-mcp.widget`` names (a path, or a mapping with ``file`` and options),
    kept in ``widgets`` by URI: the first operation to name a file gives its options."""
    reader = _Options(where, report)
    widget = reader.widget(value, tool)
    if widget is None:
        return None
    first = widgets.setdefault(widget.uri, widget)
    options = isinstance(value, dict) and set(value) != {"file"}
    if options and (first.ui, first.description) != (widget.ui, widget.description):
        reader.problem(
            "",
            f"{widget.path} is also named by {first.where[0].upper()} {first.where[1]} with "
            "other options; those are served",
            "give the options at one operation and name only the file at the others",
            "warning",
        )
    return first
